// The supervisor's figures reload (at most every two seconds) when the live feed reports a
// change, keeping the page where it is; not while a field in them holds typed text (a reason for
// approving a termination), which a reload would lose.
(function () {
  "use strict";
  const box = document.getElementById("figures");
  if (!box || !window.consoleLive) return;
  let timer = 0, last = 0;
  function reload() {
    const typed = Array.from(box.querySelectorAll("form input:not([type=hidden])"));
    if (typed.some((input) => input.value)) {
      timer = setTimeout(reload, 2000);
      return;
    }
    timer = 0;
    last = Date.now();
    fetch(box.dataset.src, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => { box.innerHTML = html; window.consoleLive.tick(); })
      .catch(() => {});
  }
  window.consoleLive.onChange(() => {
    if (timer) return;
    timer = setTimeout(reload, Math.max(0, 2000 - (Date.now() - last)));
  });
})();
