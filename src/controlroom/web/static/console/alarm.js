// The alarm for escalated written contacts (online reports, live chats marked as an emergency):
// the panel stays until each is taken; each new one plays a tone (WebAudio: nothing to
// download); on a supervisor's page one still untaken at its re-alert time (the stored time of
// the mark plus the policy's realert_seconds, given by the server) alerts again.
(function () {
  "use strict";
  let box = document.getElementById("alarm");
  if (!box) return;
  const src = box.dataset.src;
  const supervisor = box.dataset.realert === "cue";
  const title = document.title;
  const heard = new Set();
  const realerted = new Set();
  window.__alarmCues = [];  // {kind: "new" | "realert", id, at}: every cue requested here
  let audio = null;

  function tone(kind) {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume().catch(() => {});
      const beeps = kind === "realert" ? 3 : 2;
      for (let i = 0; i < beeps; i++) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        const start = audio.currentTime + i * 0.3;
        osc.frequency.value = kind === "realert" ? 1046 : 880;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
        osc.connect(gain).connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.25);
      }
    } catch (error) {
      // No sound here (no audio device, or the browser refused): the panel stays regardless.
    }
  }

  function cue(kind, id) {
    window.__alarmCues.push({ kind: kind, id: id, at: Date.now() });
    tone(kind);
  }

  function check() {
    const now = Date.now();
    const items = box.querySelectorAll(".alarm-item");
    items.forEach((item) => {
      const id = item.dataset.id;
      if (!heard.has(id)) { heard.add(id); cue("new", id); }
      if (now >= Date.parse(item.dataset.realertAt)) {
        item.classList.add("overdue");
        const note = item.querySelector(".realert");
        if (note) note.hidden = false;
        if (supervisor && !realerted.has(id)) { realerted.add(id); cue("realert", id); }
      }
    });
    box.hidden = items.length === 0;
    // A console in a background tab still says so in its tab.
    document.title = items.length ? `EMERGENCY (${items.length}) · ${title}` : title;
    box.classList.toggle("overdue", box.querySelector(".alarm-item.overdue") !== null);
  }

  function reload() {
    fetch(src, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        const tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        const fresh = tpl.content.getElementById("alarm");
        if (!fresh) return;
        box.replaceWith(fresh);
        box = fresh;
        if (window.consoleLive) window.consoleLive.tick();
        check();
      })
      .catch(() => {});
  }

  let pending = 0;
  function soon() {
    if (!pending) pending = setTimeout(() => { pending = 0; reload(); }, 100);
  }
  if (window.consoleLive) {
    window.consoleLive.onChange((message) => {
      if (!message) { soon(); return; }  // reconnected: anything may have changed
      const shown = new Set(Array.from(box.querySelectorAll(".alarm-item"), (i) => i.dataset.id));
      if (message.rows.some((row) => row.alarm || shown.has(row.id))) soon();
    });
  }
  check();
  setInterval(check, 500);
})();
