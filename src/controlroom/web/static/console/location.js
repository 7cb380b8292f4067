// The location box: as the handler types, the force's gazetteer is searched and its matches
// listed under the box; choosing one puts it in the box, ready to locate.
(function () {
  "use strict";
  const box = document.getElementById("f-loc-text");
  const list = document.getElementById("f-loc-matches");
  if (!box || !list || !box.dataset.search) return;
  let timer = null;
  let asked = "";

  function show(results) {
    list.replaceChildren();
    results.forEach((entry) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "loc-match";
      button.dataset.name = entry.name;
      button.textContent = entry.name + " (" + entry.kind + ", ± " + Math.round(entry.accuracy_m) + " m)";
      button.addEventListener("click", () => {
        box.value = entry.name;
        list.hidden = true;
        box.focus();
      });
      item.append(button);
      list.append(item);
    });
    list.hidden = results.length === 0;
  }

  function search() {
    const text = box.value.trim();
    if (text.length < 2) { show([]); return; }
    asked = text;
    fetch(box.dataset.search + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => { if (data.query === asked) show(data.results || []); })
      .catch(() => show([]));
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
