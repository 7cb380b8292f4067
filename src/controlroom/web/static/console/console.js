// controlroom console: live clocks, the live queue (server-sent events), keyboard shortcuts.
// No framework: the pages are complete without this script; it only adds life to them.
(function () {
  "use strict";

  // -- clocks ---------------------------------------------------------------------------------
  function fmt(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-since]").forEach((el) => {
      const since = Date.parse(el.dataset.since);
      const until = el.dataset.until ? Date.parse(el.dataset.until) : now;
      const secs = (until - since) / 1000;
      el.textContent = fmt(secs);
      if (el.dataset.target) el.classList.toggle("late", secs > Number(el.dataset.target));
    });
    document.querySelectorAll("[data-until-due]").forEach((el) => {
      const left = (Date.parse(el.dataset.untilDue) - now) / 1000;
      el.textContent = left >= 0 ? fmt(left) + " left" : "over by " + fmt(-left);
      el.classList.toggle("late", left < 0);
    });
  }
  tick();
  setInterval(() => { tick(); endWrapUps(); }, 500);

  // -- the live queue -------------------------------------------------------------------------
  const queue = document.getElementById("queue");
  const status = document.getElementById("live-status");
  const head = document.querySelector(".contact-head");
  window.__queueUpdates = [];  // {id, at}: when each row changed here (read by the benchmark)

  function updateCounts() {
    ["waiting", "working"].forEach((name) => {
      const list = document.getElementById("queue-" + name);
      if (!list) return;
      const shown = Array.from(list.children).filter(inView).length;
      const count = document.getElementById("count-" + name);
      if (count) count.textContent = String(shown);
      const empty = document.querySelector(`[data-empty-for="queue-${name}"]`);
      if (empty) empty.hidden = shown > 0;
    });
  }

  function applyRow(row) {
    const old = document.querySelector(`.qrow[data-id="${CSS.escape(row.id)}"]`);
    // A row older than the one shown (instances' messages may cross) changes nothing.
    if (old && row.section && Number(old.dataset.version) > row.version) return;
    const focused = old && old.contains(document.activeElement);
    if (old) old.remove();
    if (row.section && !wrappedUp().includes(row.id)) {
      const list = document.getElementById("queue-" + row.section);
      if (!list) return;
      const tpl = document.createElement("template");
      tpl.innerHTML = row.html.trim();
      const el = tpl.content.firstElementChild;
      if (queue && row.handler && row.handler === queue.dataset.me) el.classList.add("mine");
      if (head && head.dataset.contact === row.id) {
        el.classList.add("active");
      }
      let before = null;
      for (const child of list.children) {
        if (child.dataset.key > row.key) { before = child; break; }
      }
      list.insertBefore(el, before);
      if (focused) el.querySelector("a").focus();
    }
    if (head && head.dataset.contact === row.id) {
      // Changed by someone or something else (telephony, AML, another handler): say so.
      const changed = document.getElementById("changed");
      const newer = row.section ? row.version > Number(head.dataset.version) : !head.dataset.final;
      if (changed && newer) changed.hidden = false;
    }
    window.__queueUpdates.push({ id: row.id, at: Date.now() });
  }

  // -- Mine / Room, and wrap-up ----------------------------------------------------------------
  // "Mine" shows, among the contacts being worked, only the signed-in person's; the choice is
  // a session cookie (the server renders the same view). A wrap-up the handler has finished is
  // remembered for this browser session; one whose time is over leaves by itself.
  function inView(row) {
    if (!queue || queue.dataset.view !== "mine") return true;
    return !row.closest("#queue-working") || row.classList.contains("mine");
  }
  function setView(view) {
    if (!queue) return;
    queue.dataset.view = view;
    document.cookie = `cr_queue_view=${view}; path=/console; SameSite=Strict`;
    const name = document.getElementById("queue-view-name");
    if (name) name.textContent = view === "mine" ? "mine" : "whole room";
    const button = document.getElementById("queue-view");
    if (button) button.setAttribute("aria-pressed", String(view === "mine"));
    updateCounts();
  }
  function wrappedUp() {
    try { return JSON.parse(sessionStorage.getItem("cr-wrapped-up") || "[]"); } catch (e) { return []; }
  }
  function dropWrappedUp() {
    const done = wrappedUp();
    document.querySelectorAll("#queue .qrow.wrapup").forEach((row) => {
      if (done.includes(row.dataset.id)) row.remove();
    });
  }
  function finishWrapUp(id) {
    const done = wrappedUp().filter((x) => x !== id).concat([id]).slice(-200);
    try { sessionStorage.setItem("cr-wrapped-up", JSON.stringify(done)); } catch (e) { /* private mode */ }
    const row = document.querySelector(`#queue .qrow[data-id="${CSS.escape(id)}"]`);
    if (row) row.remove();
    updateCounts();
    const said = document.getElementById("wrapup-status");
    if (said) said.textContent = "Wrap-up finished: the contact has left your list. j: next contact.";
  }
  function endWrapUps() {
    const now = Date.now();
    let gone = false;
    document.querySelectorAll("#queue .qrow[data-wrapup-until]").forEach((row) => {
      if (Date.parse(row.dataset.wrapupUntil) <= now) { row.remove(); gone = true; }
    });
    if (gone) updateCounts();
  }
  const wrapButton = document.getElementById("wrapup-done");
  if (wrapButton && head) wrapButton.addEventListener("click", () => finishWrapUp(head.dataset.contact));
  if (queue) {
    dropWrappedUp();
    updateCounts();
    queue.addEventListener("submit", (event) => {
      if (!event.target.classList.contains("queue-view-form")) return;
      event.preventDefault();
      event.stopPropagation();
      setView(queue.dataset.view === "mine" ? "room" : "mine");
    }, true);
  }

  let lostAt = 0;
  let sinceReload = null;  // rows the feed sent while the queue was being reloaded, by id
  function reloadQueue() {
    if (!queue) return;
    const active = head ? head.dataset.contact : "";
    const live = sinceReload = new Map();
    fetch("/console/queue?active=" + encodeURIComponent(active), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        const tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        const fresh = tpl.content.getElementById("queue");
        if (!fresh) return;
        // Keep the keyboard where it was: refocus the same row in the fresh list.
        const focused = document.activeElement && document.activeElement.closest(".qrow");
        const focusedId = focused && queue.contains(focused) ? focused.dataset.id : null;
        queue.replaceChildren(...fresh.childNodes);
        // What the feed sent meanwhile may be newer than the reloaded list: apply it again.
        if (sinceReload === live) sinceReload = null;
        live.forEach(applyRow);
        dropWrappedUp();
        updateCounts();
        if (focusedId) {
          const again = queue.querySelector(`.qrow[data-id="${CSS.escape(focusedId)}"] a`);
          if (again) again.focus();
        }
        tick();
      })
      .catch(() => { if (sinceReload === live) sinceReload = null; });
  }

  const listeners = [];
  window.consoleLive = { onChange: (fn) => listeners.push(fn), tick };

  let retryAfter = 1000;  // when the browser gives up on the feed itself
  function connect() {
    const source = new EventSource("/console/live");
    source.addEventListener("open", () => {
      retryAfter = 1000;
      if (status) status.hidden = true;
      // Anything that changed between rendering the page (or losing the stream) and now.
      reloadQueue();
      if (lostAt) { listeners.forEach((fn) => fn()); lostAt = 0; }
    });
    source.addEventListener("queue", (event) => {
      const message = JSON.parse(event.data);
      if (sinceReload) message.rows.forEach((row) => sinceReload.set(row.id, row));
      message.rows.forEach(applyRow);
      updateCounts();
      tick();
      listeners.forEach((fn) => fn(message));
    });
    source.addEventListener("reload", () => { lostAt = Date.now(); });
    source.addEventListener("error", () => {
      if (status) status.hidden = false;
      lostAt = lostAt || Date.now();
      // An answer that is not a feed (a proxy's 502 while no instance is up) ends the
      // browser's own retries: try again here, waiting longer each time.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, retryAfter);
        retryAfter = Math.min(retryAfter * 2, 15000);
      }
    });
  }
  if (document.body.dataset.csrf) connect();

  // -- keyboard -------------------------------------------------------------------------------
  const help = document.getElementById("help");
  const helpButton = document.getElementById("help-button");
  if (helpButton && help) helpButton.addEventListener("click", () => help.showModal());

  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  function moveInQueue(step) {
    const links = Array.from(document.querySelectorAll(".qrow a")).filter((a) => inView(a.closest(".qrow")));
    if (!links.length) return;
    let i = links.indexOf(document.activeElement);
    if (i < 0) i = links.findIndex((a) => a.getAttribute("aria-current") === "true");
    i = Math.min(links.length - 1, Math.max(0, i + step));
    links[i].focus();
  }
  function runShortcut(key) {
    const form = document.querySelector(`form[data-shortcut="${key}"]`);
    if (!form) return false;
    const folded = form.closest("details");
    if (folded) folded.open = true;
    const field = form.querySelector("select, textarea, input:not([type=hidden]):not([disabled])");
    const chosen = field && field.type === "radio" && form.querySelector(`input[name="${CSS.escape(field.name)}"]:checked`);
    if (field) { (chosen || field).focus(); return true; }
    // Ending the call is never one key: t lands on the button, and Enter (or Space) ends it.
    // Sending to a partner agency is not one key either: o lands on the first Send button.
    if (form.dataset.action === "terminate" || form.dataset.confirm) { form.querySelector("button[type=submit]").focus(); return true; }
    form.requestSubmit();
    return true;
  }
  // d: on an ended contact, finish its wrap-up; on an open one, go to closing it.
  function wrapUp() {
    if (head && head.dataset.final) { finishWrapUp(head.dataset.contact); return true; }
    return runShortcut("d");
  }
  // Enter completes an action from any of its fields: a drop-down or a box (Shift+Enter is a
  // new line in a longer text). The browser's own check of required fields still applies.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const el = event.target;
    const form = el && el.form;
    if (!form || !form.classList.contains("action")) return;
    const multiline = el.tagName === "TEXTAREA";
    if (!(el.tagName === "SELECT" || el.tagName === "INPUT" || multiline)) return;
    if (multiline && event.shiftKey) return;
    if (el.type === "checkbox" || el.type === "submit" || el.type === "button") return;
    event.preventDefault();
    form.requestSubmit();
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key;
    if (key === "?") { if (help) help.showModal(); event.preventDefault(); return; }
    if (key === "j") { moveInQueue(1); event.preventDefault(); return; }
    if (key === "k") { moveInQueue(-1); event.preventDefault(); return; }
    if (key === "m" && queue) { setView(queue.dataset.view === "mine" ? "room" : "mine"); event.preventDefault(); return; }
    if (key === "d") { if (wrapUp()) event.preventDefault(); return; }
    if (key === "h" || key === "s") {
      const link = document.querySelector(`.topbar nav a[href$="${key === "h" ? "handler" : "supervisor"}"]`);
      if (link) { link.click(); event.preventDefault(); }
      return;
    }
    if (key.length === 1 && /[a-z]/.test(key) && runShortcut(key)) event.preventDefault();
  });

  // A submitted form is not submitted twice by an impatient second press.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
