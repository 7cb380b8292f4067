// The emergencySMS thread: new messages and delivery reports appear live; Enter sends a reply.
(function () {
  "use strict";
  function init() {
    const box = document.getElementById("sms");
    const list = document.getElementById("sms-thread");
    if (!box || !list) return;
    let busy = false, again = false;
    function scrollDown() {
      const messages = list.querySelector(".sms-messages");
      if (messages) messages.scrollTop = messages.scrollHeight;
    }
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(box.dataset.threadUrl, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => {
          list.innerHTML = html;
          scrollDown();
          if (window.consoleLive) window.consoleLive.tick();
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
          if (again) { again = false; refresh(); }
        });
    }
    scrollDown();
    if (window.consoleLive) {
      // A message without rows is the feed coming back after a gap: fetch the thread anyway.
      window.consoleLive.onChange((message) => {
        if (!message || message.rows.some((row) => row.id === box.dataset.contact)) refresh();
      });
    }
    const form = document.getElementById("sms-reply");
    if (!form) return;
    const field = form.querySelector("textarea");
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      if (field.value.trim()) form.requestSubmit();
    });
    if (box.dataset.focus) field.focus();
  }
  // After every deferred script, console.js (later in the page, it gives consoleLive) too.
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
