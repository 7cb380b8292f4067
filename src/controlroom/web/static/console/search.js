// "/" goes to the search box in the top bar (unless the handler is typing somewhere).
(() => {
  "use strict";
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const el = event.target;
    if (el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName))) return;
    const box = document.getElementById("search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
