() => {
  // Clicking a point of the glyph map writes its character into the hidden
  // "#glyph-pick" textbox, whose change event shows the glyph large.
  const attach = () => {
    document.querySelectorAll("#glyph-map-plot .js-plotly-plot").forEach((div) => {
      if (div.dataset.glyphClick === "on" || typeof div.on !== "function") return;
      div.dataset.glyphClick = "on";
      div.on("plotly_click", (event) => {
        const point = event && event.points && event.points[0];
        const char = point && point.customdata && point.customdata[0];
        const box = document.querySelector("#glyph-pick textarea, #glyph-pick input");
        if (!char || !box) return;
        box.value = char;
        box.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; attach(); });
  }).observe(document.body, { childList: true, subtree: true });
  attach();
}
