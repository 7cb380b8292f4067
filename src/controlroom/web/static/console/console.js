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
  setInterval(tick, 500);

  // -- the live queue -------------------------------------------------------------------------
  const queue = document.getElementById("queue");
  const status = document.getElementById("live-status");
  const head = document.querySelector(".contact-head");
  window.__queueUpdates = [];  // {id, at}: when each row changed here (read by the benchmark)

  function updateCounts() {
    ["waiting", "working"].forEach((name) => {
      const list = document.getElementById("queue-" + name);
      if (!list) return;
      const count = document.getElementById("count-" + name);
      if (count) count.textContent = String(list.children.length);
      const empty = document.querySelector(`[data-empty-for="queue-${name}"]`);
      if (empty) empty.hidden = list.children.length > 0;
    });
  }

  function applyRow(row) {
    const old = document.querySelector(`.qrow[data-id="${CSS.escape(row.id)}"]`);
    const focused = old && old.contains(document.activeElement);
    if (old) old.remove();
    if (row.section) {
      const list = document.getElementById("queue-" + row.section);
      if (!list) return;
      const tpl = document.createElement("template");
      tpl.innerHTML = row.html.trim();
      const el = tpl.content.firstElementChild;
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

  let lostAt = 0;
  function reloadQueue() {
    if (!queue) return;
    const active = head ? head.dataset.contact : "";
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
        if (focusedId) {
          const again = queue.querySelector(`.qrow[data-id="${CSS.escape(focusedId)}"] a`);
          if (again) again.focus();
        }
        tick();
      })
      .catch(() => {});
  }

  const listeners = [];
  window.consoleLive = { onChange: (fn) => listeners.push(fn), tick };

  function connect() {
    const source = new EventSource("/console/live");
    source.addEventListener("open", () => {
      if (status) status.hidden = true;
      // Anything that changed between rendering the page (or losing the stream) and now.
      reloadQueue();
      if (lostAt) { listeners.forEach((fn) => fn()); lostAt = 0; }
    });
    source.addEventListener("queue", (event) => {
      const message = JSON.parse(event.data);
      message.rows.forEach(applyRow);
      updateCounts();
      tick();
      listeners.forEach((fn) => fn(message));
    });
    source.addEventListener("reload", () => { lostAt = Date.now(); });
    source.addEventListener("error", () => {
      if (status) status.hidden = false;
      lostAt = lostAt || Date.now();
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
    const links = Array.from(document.querySelectorAll(".qrow a"));
    if (!links.length) return;
    let i = links.indexOf(document.activeElement);
    if (i < 0) i = links.findIndex((a) => a.getAttribute("aria-current") === "true");
    i = Math.min(links.length - 1, Math.max(0, i + step));
    links[i].focus();
  }
  function runShortcut(key) {
    const form = document.querySelector(`form[data-shortcut="${key}"]`);
    if (!form) return false;
    const field = form.querySelector("select, textarea, input:not([type=hidden])");
    if (field) { field.focus(); return true; }
    if (form.dataset.action === "terminate" && !window.confirm("Terminate this call?")) return true;
    form.requestSubmit();
    return true;
  }
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
