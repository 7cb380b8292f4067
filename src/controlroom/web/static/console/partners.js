// The partner agencies panel: while a MAIT message is on its way or awaits the partner's
// answer, fetch the panel again every few seconds (the delivery worker changes it without
// telling the live feed); a partner's acknowledgement on this contact also comes by the feed.
(function () {
  "use strict";
  const EVERY_MS = 3000;
  function init() {
    const box = document.getElementById("partners");
    const body = document.getElementById("partners-body");
    if (!box || !body) return;
    let busy = false;
    function waiting() {
      const head = body.querySelector(".partners-head");
      return Boolean(head && head.dataset.waiting);
    }
    function refresh() {
      // never under the handler's hands: a focused button is not replaced
      if (busy || document.hidden || body.contains(document.activeElement)) return Promise.resolve();
      busy = true;
      return fetch(box.dataset.url, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => { body.innerHTML = html; })
        .catch(() => {})
        .finally(() => { busy = false; });
    }
    function tick() {
      (waiting() ? refresh() : Promise.resolve()).finally(() => window.setTimeout(tick, EVERY_MS));
    }
    window.setTimeout(tick, EVERY_MS);
    if (window.consoleLive) {
      const contact = document.querySelector(".contact-head");
      window.consoleLive.onChange((message) => {
        // A message without rows is the feed coming back after a gap: fetch the panel anyway.
        if (!message || (contact && message.rows.some((row) => row.id === contact.dataset.contact))) refresh();
      });
    }
  }
  // After every deferred script, console.js (later in the page, it gives consoleLive) too.
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
