async (restored) => {
    // Deep links (tabs/deep_link.py): "restore" runs after the load event that set the tab and the
    // controls; "share" builds the address of the view on screen. __CONFIG__: {labels, settings}.
    const config = __CONFIG__;
    const action = "__ACTION__";
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const control = (tab, key) => document.querySelector("." + config.settings[tab][key].cls);

    if (!document.getElementById("share-view-style")) {
        const style = document.createElement("style");
        style.id = "share-view-style";
        style.textContent = `.gradio-container .main { position: relative; }
            #share-view { position: absolute; top: 0; right: 0; width: auto; z-index: 5; gap: 6px; }
            #share-view-button { white-space: nowrap; }
            @media (max-width: 700px) { .app-header h1 { padding-right: 150px; } }`;
        document.head.appendChild(style);
    }

    if (action === "share") {
        const selected = document.querySelector("#course-tabs button[role=tab][aria-selected=true]");
        const label = selected ? selected.innerText.trim() : "";
        const tab = Object.keys(config.labels).find((id) => config.labels[id] === label);
        const params = new URLSearchParams();
        if (tab) {
            params.set("tab", tab);
            for (const key of Object.keys(config.settings[tab] || {})) {
                const root = control(tab, key);
                if (!root) continue;
                let value = null;
                const checked = root.querySelector("input[type=radio]:checked");
                const box = root.querySelector("input[type=checkbox]");
                const field = root.querySelector("input[type=number], textarea, input[type=text]");
                if (checked) value = checked.value;
                else if (box) value = box.checked ? "1" : "0";
                else if (field) value = field.value;
                if (value !== null && value !== "") params.set(key, value);
            }
        }
        const url = location.origin + location.pathname + (tab ? "?" + params.toString() : "");
        history.replaceState(null, "", url);
        window.__deepLink = url;
        let copied = false;
        try {
            await navigator.clipboard.writeText(url);
            copied = true;
        } catch (err) {
            const area = document.createElement("textarea");
            area.value = url;
            document.body.appendChild(area);
            area.select();
            try { copied = document.execCommand("copy"); } catch (err2) { copied = false; }
            area.remove();
        }
        const button = document.getElementById("share-view-button");
        if (button) {
            const text = button.textContent;
            button.textContent = copied ? "✓ Link copied" : "Link in the address bar";
            setTimeout(() => { button.textContent = text; }, 2500);
        }
        return [];
    }

    // restore: once the page's first figures are in, fire each restored control's own event
    let state = {};
    try { state = JSON.parse(restored || "{}"); } catch (err) { return []; }
    if (!state.tab || !(state.keys || []).length) return [];
    const busy = () => !!document.querySelector("[role=tabpanel] .pending");
    let quiet = 0;
    for (let waited = 0; waited < 60000 && quiet < 3; waited += 200) {
        await sleep(200);
        quiet = busy() ? 0 : quiet + 1;
    }
    for (const key of state.keys) {
        const setting = config.settings[state.tab][key];
        const root = control(state.tab, key);
        if (!root || setting.event === "none") continue;
        if (setting.event === "submit") {
            const field = root.querySelector("textarea, input");
            if (field) field.dispatchEvent(new KeyboardEvent("keypress", {key: "Enter", bubbles: true}));
        } else {
            const input = root.querySelector("input[type=range], input[type=radio]:checked, input[type=checkbox]");
            if (input) input.dispatchEvent(new Event("input", {bubbles: true}));
        }
        await sleep(50);
    }
    window.__deepLinkRestored = state;
    return [];
}
