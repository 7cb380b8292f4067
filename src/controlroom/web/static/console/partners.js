// The partner agencies panel: while a MAIT message is on its way or awaits the partner's
// answer, fetch the panel again every few seconds (delivery and acknowledgements change it).
(function () {
  "use strict";
  const EVERY_MS = 3000;
  function init() {
    const box = document.getElementById("partners");
    const body = document.getElementById("partners-body");
    if (!box || !body) return;
    function waiting() {
      const head = body.querySelector(".partners-head");
      return Boolean(head && head.dataset.waiting);
    }
    function refresh() {
      if (!waiting() || document.hidden) { schedule(); return; }
      if (body.contains(document.activeElement)) { schedule(); return; }
      fetch(box.dataset.url, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => { body.innerHTML = html; })
        .catch(() => {})
        .finally(schedule);
    }
    function schedule() { window.setTimeout(refresh, EVERY_MS); }
    schedule();
  }
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
