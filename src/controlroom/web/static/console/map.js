// The contact's location evidence on a Leaflet map. Tiles come from the force's own server
// (CONTROLROOM_TILE_URL); without one, or when it cannot be reached, the evidence is drawn on a
// plain background and the page says so.
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  const map = L.map(el, { zoomControl: true, attributionControl: true, keyboard: true });
  map.setView([50.7, -3.5], 8);
  if (el.dataset.tiles) {
    const layer = L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" });
    let failed = 0;
    layer.on("tileerror", () => {
      failed += 1;
      if (failed === 4) {
        const note = document.createElement("p");
        note.className = "map-note";
        note.textContent = "The map tile server cannot be reached: the evidence is drawn without a background.";
        el.after(note);
      }
    });
    layer.addTo(map);
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      const layer = L.geoJSON(data, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: feature.properties && feature.properties.chosen ? 9 : 6,
          color: feature.properties && feature.properties.chosen ? "#ffd33d" : "#79c0ff",
          weight: 3, fillOpacity: 0.6,
        }),
        style: () => ({ color: "#79c0ff", weight: 1, fillOpacity: 0.1 }),
        onEachFeature: (feature, lyr) => {
          const p = feature.properties || {};
          lyr.bindTooltip(String(p.source || p.kind || "evidence"));
        },
      }).addTo(map);
      const bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 16 });
    })
    .catch(() => {});
})();
