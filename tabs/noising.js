// The Forward noising tab's t slider, drawn in the browser (tabs/noising_live.py). props.value
// holds, per glyph, schedule and seed, the glyph x0 and its ε, the map's points and their ε and ᾱ
// of every t; each move of the slider redraws, with no request to the server, what the server
// draws in tabs/noising.py: the x_t picture, the schedule's marker, the map's bitmap (density of
// q(x_t) under the noised points), its rings and title, and the caption. The data-drawn attribute
// of .noising-live-root holds the t last drawn (by the server or here).
(() => {
  const SLIDER = "#noising-t";
  element.classList.add("noising-live-root");
  const cache = { key: null };
  let pending = null;

  function decode(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer);
  }

  function arrays() {
    const v = props.value;
    if (!v || !v.abar) return null;
    if (cache.key !== v.key) {
      Object.assign(cache, { key: v.key, x0: decode(v.x0), noise: decode(v.noise), points: decode(v.points),
                             pointsNoise: decode(v.points_noise) });
    }
    return cache;
  }

  // Python's format(x, ".{p}g") and viz.noising.abar_text.
  function fmtG(x, p) {
    if (x === 0) return "0";
    if (!isFinite(x)) return String(x);
    const [mantissa, e] = x.toExponential(p - 1).split("e");
    const exp = Number(e);
    const trim = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (exp >= -4 && exp < p) return trim(x.toFixed(Math.max(0, p - 1 - exp)));
    return `${trim(mantissa)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  function abarText(a) {
    if (a >= 1) return "1";
    if (a > 0.999) return a.toFixed(Math.floor(-Math.log10(1 - a)) + 1);
    return a < 1e-3 ? fmtG(a, 2) : fmtG(a, 4);
  }
  const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // viz.noising.step_caption
  function caption(v, t, abar) {
    const signal = Math.sqrt(abar), noise = Math.sqrt(1 - abar);
    const labels = v.picks.map((p) => escapeHtml(p[0])).join(", ");
    return `<strong>t = ${t}</strong>, ${escapeHtml(v.schedule || "")} schedule: ᾱₜ = ${abarText(abar)}, so ` +
      `<em>x</em>ₜ = ${signal.toFixed(3)} <em>x</em>₀ + ${noise.toFixed(3)} ε: the noise added is ${noise.toFixed(3)} ε, ` +
      `of standard deviation ${noise.toFixed(3)} (ε is shown clipped to ±1); signal-to-noise ratio ` +
      `${fmtG(abar / (1 - abar), 3)}. On the map, ${labels}: ○ the clean point x₀, • the mean √ᾱₜ x₀ of q(xₜ | x₀), ` +
      `rings at 1 and 2 sd (${fmtG(noise, 3)} and ${fmtG(2 * noise, 3)}) holding ${v.ring_shares[0]}% and ` +
      `${v.ring_shares[1]}% of it, × the point's own xₜ.`;
  }

  // viz.pictures.model_picture of x_t = √ᾱ x0 + √(1 − ᾱ) ε, as a PNG data URI.
  function glyphPicture(a, v, abar) {
    const n = v.size, s = Math.sqrt(abar), r = Math.sqrt(1 - abar);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = n;
    const context = canvas.getContext("2d");
    const image = context.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const x = s * a.x0[i] + r * a.noise[i];
      const gray = Math.round(255 * (1 - Math.min(1, Math.max(0, (x + 1) / 2))));
      image.data.set([gray, gray, gray, 255], 4 * i);
    }
    context.putImageData(image, 0, 0);
    return canvas.toDataURL("image/png");
  }

  // glyffuser.distributions.mapflow.noised_density: a KDE of √ᾱ x0 with kernel sd √(ᾱ h² + 1 − ᾱ) on
  // the grid of density_grid, by linear binning and a Gaussian filter (glyffuser.distributions.density.kde_grid).
  function density(a, v, abar) {
    const sd = Math.sqrt(abar * v.bandwidth ** 2 + 1 - abar);
    const n = Math.min(v.grid_max, Math.max(60, Math.ceil((2 * v.extent * 5) / sd) + 1));
    const step = (2 * v.extent) / (n - 1);
    const pad = Math.ceil((5 * sd) / step);
    const m = n + 2 * pad;
    const binned = new Float64Array(m * m);
    const s = Math.sqrt(abar);
    for (let i = 0; i < a.points.length; i += 2) {
      const fx = (s * a.points[i] + v.extent) / step + pad, fy = (s * a.points[i + 1] + v.extent) / step + pad;
      if (fx < 0 || fy < 0 || fx >= m - 1 || fy >= m - 1) continue;
      const ix = Math.floor(fx), iy = Math.floor(fy), ux = fx - ix, uy = fy - iy, k = iy * m + ix;
      binned[k] += (1 - ux) * (1 - uy); binned[k + 1] += ux * (1 - uy);
      binned[k + m] += (1 - ux) * uy; binned[k + m + 1] += ux * uy;
    }
    let variance = sd * sd - (step * step) / 6;
    if (variance < 0.5 * sd * sd) variance = sd * sd;
    const kernel = [];
    for (let o = -pad; o <= pad; o++) kernel.push(Math.exp((-0.5 * (o * step) ** 2) / variance));
    const rows = new Float64Array(m * n);  // filtered along x, the n columns of the grid kept
    for (let y = 0; y < m; y++) {
      for (let x = 0; x < n; x++) {
        let sum = 0;
        for (let o = 0; o < kernel.length; o++) sum += kernel[o] * binned[y * m + x + o];
        rows[y * n + x] = sum;
      }
    }
    const grid = new Float64Array(n * n);  // then along y: row i is y = -extent + i step
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let sum = 0;
        for (let o = 0; o < kernel.length; o++) sum += kernel[o] * rows[(y + o) * n + x];
        grid[y * n + x] = sum;
      }
    }
    return { grid, n };
  }

  // viz.noising.map_bitmap (viz.raster.shaded_points) as a JPEG data URI.
  function mapPicture(a, v, abar) {
    const { grid, n } = density(a, v, abar);
    const size = v.pixels, lo = -v.extent, hi = v.extent;
    let peak = 0;
    for (const value of grid) peak = Math.max(peak, value);
    const counts = new Int32Array(size * size);  // dots of half-side 1 covering each pixel
    const s = Math.sqrt(abar), r = Math.sqrt(1 - abar), scale = size / (hi - lo);
    for (let i = 0; i < a.points.length; i += 2) {
      const x = s * a.points[i] + r * a.pointsNoise[i], y = s * a.points[i + 1] + r * a.pointsNoise[i + 1];
      const row = Math.round((hi - y) * scale - 0.5), col = Math.round((x - lo) * scale - 0.5);
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = row + dr, cc = col + dc;
          if (rr >= 0 && rr < size && cc >= 0 && cc < size) counts[rr * size + cc] += 1;
        }
      }
    }
    const [pr, pg, pb, alpha] = v.point;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const context = canvas.getContext("2d");
    const image = context.createImageData(size, size);
    const ratio = n / size;
    for (let row = 0; row < size; row++) {
      // bilinear enlargement of the grid flipped upside down (row 0 = largest y), edges clamped
      const sy = Math.min(n - 1, Math.max(0, (row + 0.5) * ratio - 0.5));
      const y0 = Math.floor(sy), y1 = Math.min(n - 1, y0 + 1), wy = sy - y0;
      const g0 = n - 1 - y0, g1 = n - 1 - y1;
      for (let col = 0; col < size; col++) {
        const sx = Math.min(n - 1, Math.max(0, (col + 0.5) * ratio - 0.5));
        const x0 = Math.floor(sx), x1 = Math.min(n - 1, x0 + 1), wx = sx - x0;
        const level = ((1 - wy) * ((1 - wx) * grid[g0 * n + x0] + wx * grid[g0 * n + x1]) +
                       wy * ((1 - wx) * grid[g1 * n + x0] + wx * grid[g1 * n + x1])) / (peak || 1);
        const index = Math.min(255, Math.max(0, Math.floor(level * v.top * 255)));
        const cover = 1 - (1 - alpha) ** Math.min(counts[row * size + col], 64);
        const k = 4 * (row * size + col);
        image.data[k] = Math.round(v.lut[3 * index] + (pr - v.lut[3 * index]) * cover);
        image.data[k + 1] = Math.round(v.lut[3 * index + 1] + (pg - v.lut[3 * index + 1]) * cover);
        image.data[k + 2] = Math.round(v.lut[3 * index + 2] + (pb - v.lut[3 * index + 2]) * cover);
        image.data[k + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
    return canvas.toDataURL("image/jpeg", 0.92);
  }

  // The picked points' traces of viz.noising.dataset_figure at ᾱ.
  function pickTraces(a, v, abar) {
    const s = Math.sqrt(abar), r = Math.sqrt(1 - abar);
    const shrink = { x: [], y: [] }, mean = { x: [], y: [] }, xt = { x: [], y: [] }, rings = { x: [], y: [] };
    for (const [, row] of v.picks) {
      const px = a.points[2 * row], py = a.points[2 * row + 1];
      const mx = s * px, my = s * py;
      shrink.x.push(px, mx, null); shrink.y.push(py, my, null);
      mean.x.push(mx); mean.y.push(my);
      xt.x.push(mx + r * a.pointsNoise[2 * row]); xt.y.push(my + r * a.pointsNoise[2 * row + 1]);
      for (const k of [1, 2]) {
        for (let j = 0; j < v.ring_vertices; j++) {
          const angle = (2 * Math.PI * j) / (v.ring_vertices - 1);
          rings.x.push(mx + k * r * Math.cos(angle)); rings.y.push(my + k * r * Math.sin(angle));
        }
        rings.x.push(null); rings.y.push(null);
      }
    }
    return { shrink, mean, x_t: xt, rings };
  }

  function plotOf(id) {
    return document.querySelector(`${id} .js-plotly-plot`);
  }

  function draw(t) {
    const v = props.value, a = arrays();
    if (!a || !(t >= 0 && t < v.abar.length)) return;
    const abar = v.abar[t];
    const text = element.querySelector(".noising-caption");
    if (text) text.innerHTML = caption(v, t, abar);
    const picture = document.querySelector("#noising-xt img");
    if (picture) picture.src = glyphPicture(a, v, abar);
    const Plotly = window.Plotly;
    const schedule = plotOf("#noising-schedule"), map = plotOf("#noising-map");
    if (Plotly && schedule && schedule.data) {
      const markers = schedule.data.map((trace, i) => (trace.name === "t" ? i : -1)).filter((i) => i >= 0);
      const snr = abar / (1 - abar);
      Plotly.update(schedule, {
        x: [[t], [t]], y: [[abar], [snr]],
        hovertemplate: [`t = ${t}<br>ᾱ = ${abarText(abar)}<extra></extra>`, `t = ${t}<br>SNR = ${fmtG(snr, 4)}<extra></extra>`],
      }, { "shapes[0].x0": t, "shapes[0].x1": t, "shapes[1].x0": t, "shapes[1].x1": t }, markers);
    }
    if (Plotly && map && map.data) {
      const traces = pickTraces(a, v, abar), names = Object.keys(traces);
      const indices = names.map((name) => map.data.findIndex((trace) => trace.name === name));
      const shown = names.filter((_, i) => indices[i] >= 0);
      Plotly.update(map, { x: shown.map((name) => traces[name].x), y: shown.map((name) => traces[name].y) }, {
        "images[0].source": mapPicture(a, v, abar), "title.text": `q(x_t) at t = ${t}, ᾱ = ${abarText(abar)}`,
      }, indices.filter((i) => i >= 0));
    }
    element.dataset.drawn = String(t);
  }

  function sliderValue() {
    const box = document.querySelector(`${SLIDER} input[type=number]`) || document.querySelector(`${SLIDER} input[type=range]`);
    return box ? Number(box.value) : NaN;
  }

  // One redraw per animation frame, of the newest t.
  function request(t) {
    if (!Number.isInteger(t)) return;
    const waiting = pending !== null;
    pending = t;
    if (!waiting) requestAnimationFrame(() => { const next = pending; pending = null; draw(next); });
  }

  document.addEventListener("input", (event) => {
    if (event.target.closest && event.target.closest(SLIDER)) request(Number(event.target.value));
  });

  // The server drew the views at value.t (a new glyph, schedule or seed): redraw if the slider moved on since.
  watch("value", () => {
    const v = props.value;
    element.dataset.drawn = v ? String(v.t) : "";
    const t = sliderValue();
    if (v && Number.isInteger(t) && t !== v.t) setTimeout(() => request(sliderValue()), 50);
  });
})();
