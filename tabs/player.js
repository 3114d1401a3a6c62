// Play controls of a frame player (tabs/player.py): frames arrive once, as data URIs in
// props.value.frames, and are flipped here in the browser, so playback needs no server call.
// Controls: play/pause, previous, next, a step slider and a speed; keys when the player has
// focus: space plays or pauses, ← → step, Home / End jump. Data attributes of .player-root report
// what is shown (data-run: the run's id, data-index, data-shown: frames drawn so far, data-fps: rate of the last play,
// data-paints: the browser's animation frames per second meanwhile).
// With props.follows (a slider's elem_id) and frames that carry steps (props.value.steps), the
// slider is set to the frame's step whenever playback stops on a frame, and moving the slider
// shows the player's nearest frame.
(() => {
  const state = { run: null, index: -1, playing: false, fps: 20, last: 0, raf: 0, shown: 0, playStart: 0, playFrames: 0, paints: 0 };
  element.classList.add("player-root");  // the data attributes below live on this element
  const q = (sel) => element.querySelector(sel);
  const frames = () => (props.value && props.value.frames) || [];

  function show(i) {
    const list = frames();
    if (!list.length) return;
    state.index = Math.max(0, Math.min(list.length - 1, i));
    const img = q(".player-frame");
    if (img) img.src = list[state.index];
    const range = q(".player-step");
    if (range) range.value = String(state.index);
    const caption = q(".player-caption");
    if (caption) caption.textContent = (props.value.captions || [])[state.index] || "";
    state.shown += 1;
    element.dataset.index = String(state.index);
    element.dataset.shown = String(state.shown);
  }

  function label() {
    const button = q("[data-act=play]");
    if (button) button.textContent = state.playing ? "❚❚ pause" : "▶ play";
    element.dataset.playing = state.playing ? "yes" : "no";
  }

  function tick(now) {
    if (!state.playing) return;
    state.paints += 1;
    const interval = 1000 / state.fps;
    if (now - state.last >= interval - 2) {
      // Keep the average rate when the browser drops a frame; start afresh after a long stall.
      state.last = now - state.last > 3 * interval ? now : state.last + interval;
      if (state.index >= frames().length - 1) {
        pause();
        syncSlider();
        return;
      }
      show(state.index + 1);
      state.playFrames += 1;
      const seconds = (now - state.playStart) / 1000;
      if (seconds > 0.2) {
        element.dataset.fps = (state.playFrames / seconds).toFixed(1);
        element.dataset.paints = (state.paints / seconds).toFixed(1);  // the browser's own frame rate
      }
    }
    state.raf = requestAnimationFrame(tick);
  }

  function play() {
    if (!frames().length) return;
    if (state.index >= frames().length - 1) show(0);
    state.playing = true;
    state.last = state.playStart = performance.now();
    state.playFrames = 0;
    state.paints = 0;
    cancelAnimationFrame(state.raf);
    state.raf = requestAnimationFrame(tick);
    label();
  }

  function pause() {
    state.playing = false;
    cancelAnimationFrame(state.raf);
    label();
  }

  // The followed slider: written only here, and its own moves shown without writing back.
  let writing = false;
  function followed() {
    return props.follows ? document.querySelector(`#${props.follows} input[type=range]`) : null;
  }

  function syncSlider() {
    const range = followed();
    const step = ((props.value && props.value.steps) || [])[state.index];
    if (!range || range.disabled || step === null || step === undefined || state.playing) return;
    if (Number(range.value) === Number(step)) return;
    writing = true;
    range.value = String(step);
    range.dispatchEvent(new Event("input", { bubbles: true }));  // the page's own event shows the step
    writing = false;
  }

  function followSlider(event) {
    if (writing || !props.follows || !event.target.closest || !event.target.closest(`#${props.follows}`)) return;
    const steps = (props.value && props.value.steps) || [];
    const value = Number(event.target.value);
    let best = -1;
    steps.forEach((step, i) => {
      if (step !== null && (best < 0 || Math.abs(step - value) < Math.abs(steps[best] - value))) best = i;
    });
    if (best >= 0) { pause(); show(best); }
  }
  document.addEventListener("input", followSlider);

  const actions = {
    play: () => (state.playing ? (pause(), syncSlider()) : play()),
    prev: () => { pause(); show(state.index - 1); syncSlider(); },
    next: () => { pause(); show(state.index + 1); syncSlider(); },
    first: () => { pause(); show(0); syncSlider(); },
    last: () => { pause(); show(frames().length - 1); syncSlider(); },
  };

  element.addEventListener("click", (event) => {
    const button = event.target.closest("[data-act]");
    if (button && actions[button.dataset.act]) actions[button.dataset.act]();
  });
  element.addEventListener("input", (event) => {
    if (event.target.matches(".player-step")) { pause(); show(Number(event.target.value)); syncSlider(); }
  });
  element.addEventListener("change", (event) => {
    if (event.target.matches(".player-speed")) state.fps = Number(event.target.value) || 20;
  });
  element.addEventListener("keydown", (event) => {
    const onControl = event.target.matches("button, select, input");
    const keys = { " ": "play", ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last" };
    const act = keys[event.key];
    if (!act || (onControl && (event.key === " " || event.target.matches("input, select")))) return;
    event.preventDefault();
    actions[act]();
  });

  // A new or growing run: keep playing, or follow the newest frame when paused at the end.
  function arrived() {
    const list = frames();
    const speed = q(".player-speed");
    if (speed) speed.value = String(state.fps);
    if (!list.length) { pause(); state.index = -1; return; }
    if (props.value.run !== state.run) { state.run = props.value.run; pause(); state.index = -1; }
    element.dataset.run = String(state.run);
    const followEnd = !state.playing && (state.index < 0 || state.index >= Number(element.dataset.count || 0) - 1);
    element.dataset.count = String(list.length);
    if (state.index >= list.length || followEnd) show(list.length - 1);
    else show(state.index);
    label();
  }
  watch("value", arrived);
  arrived();
})();
