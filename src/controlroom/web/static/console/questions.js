// The §4.11.1 questions on the open contact: q asks them; y / n / u answer the question with
// the focus (and the page comes back on the next one); arrow keys move between questions.
// The buttons work without this script (Enter or Space, or a click).
(function () {
  "use strict";
  const panel = document.getElementById("questions");
  if (!panel) return;

  const questions = () => Array.from(panel.querySelectorAll(".question"));
  const byId = (id) => panel.querySelector(`.question[data-question="${CSS.escape(id || "")}"]`);
  function focusQuestion(item) {
    if (!item) return;
    const button = item.querySelector('button[aria-pressed="true"]') || item.querySelector("button");
    if (button) button.focus();
  }
  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  function plain(event) {
    return !(event.ctrlKey || event.metaKey || event.altKey);
  }

  document.addEventListener("keydown", (event) => {
    if (!plain(event) || typing(event.target) || event.key !== "q") return;
    if (panel.contains(document.activeElement)) return;
    focusQuestion(byId(panel.dataset.current) || questions()[0]);
    event.preventDefault();
  });

  // Keys pressed inside the questions belong to them (n is "no" here, not "write a note").
  panel.addEventListener("keydown", (event) => {
    if (!plain(event)) return;
    const item = event.target.closest(".question");
    if (!item) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "y" || key === "n" || key === "u") {
      const button = item.querySelector(`button[data-key="${key}"]`);
      if (button && !(button.form && button.form.dataset.sent)) button.click();
    } else if (key === "ArrowDown" || key === "ArrowUp") {
      const all = questions();
      focusQuestion(all[all.indexOf(item) + (key === "ArrowDown" ? 1 : -1)]);
    } else if (key !== "q") {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  });

  // Back after an answer: the next question has the focus, and the live region says what was
  // recorded (set again once loaded, so that screen readers announce it).
  if (panel.dataset.focus) {
    focusQuestion(byId(panel.dataset.current));
    const status = document.getElementById("answers-status");
    if (status && status.textContent) {
      const said = status.textContent;
      status.textContent = "";
      setTimeout(() => { status.textContent = said; }, 100);
    }
  }
})();
