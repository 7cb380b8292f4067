// The contact's location evidence on a Leaflet map. Under it there is always a background:
// the force's tile server (CONTROLROOM_TILE_URL) when one is set, otherwise the offline basemap
// (coastline, land and the force area, /console/basemap.geojson). Each fix is drawn with its
// accuracy circle and says what it is and how accurate it is.
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  const map = L.map(el, { zoomControl: true, attributionControl: true, keyboard: true });
  map.setView([50.7, -3.5], 8);
  el.dataset.basemapState = "loading";
  let fittedToEvidence = false;

  function note(text) {
    const p = document.createElement("p");
    p.className = "map-note";
    p.textContent = text;
    el.after(p);
  }

  function drawBasemap() {
    if (!el.dataset.basemap) return;
    fetch(el.dataset.basemap, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        map.createPane("basemap");
        map.getPane("basemap").style.zIndex = 250;
        const drawn = L.geoJSON(data, {
          pane: "basemap",
          interactive: false,
          style: (feature) => {
            const kind = feature.properties && feature.properties.kind;
            if (kind === "force_area") return { className: "force-area", color: "#ffa657", weight: 2, dashArray: "6 4", fill: false };
            if (kind === "coast") return { className: "coast", color: "#8b949e", weight: 1, fill: false };
            return { className: "land", color: "#6e7681", weight: 1, fillColor: "#2d3b2f", fillOpacity: 1 };
          },
        }).addTo(map);
        // with nothing located yet, show the force area
        const area = L.featureGroup(drawn.getLayers().filter((l) => l.feature.properties.kind === "force_area"));
        if (!fittedToEvidence && area.getLayers().length) map.fitBounds(area.getBounds());
        if (data.attribution) map.attributionControl.addAttribution(data.attribution);
        (data.notes || []).forEach(note);
        el.dataset.basemapState = "drawn";
      })
      .catch(() => {
        el.dataset.basemapState = "failed";
        note("The offline basemap could not be loaded: the evidence is drawn without a background.");
      });
  }

  if (el.dataset.tiles) {
    const layer = L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" });
    let failed = 0;
    layer.on("tileerror", () => {
      failed += 1;
      if (failed === 4) {
        note("The map tile server cannot be reached: the evidence is drawn on the offline basemap.");
        drawBasemap();
      }
    });
    layer.addTo(map);
  } else {
    drawBasemap();
  }

  function describe(p) {
    const what = String(p.source || p.kind || "evidence").replace(/_/g, " ");
    const radius = p.effective_radius_m || p.accuracy_m || p.radius_m;
    return radius ? what + " ± " + Math.round(radius) + " m" : what;
  }

  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      const chosen = (feature) => Boolean(feature.properties && feature.properties.chosen);
      const layer = L.geoJSON(data, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: chosen(feature) ? 9 : 6 }),
        // applied to points and circles alike (it replaces the options pointToLayer gave)
        style: (feature) => {
          const colour = chosen(feature) ? "#ffd33d" : "#79c0ff";
          if (feature.geometry && feature.geometry.type === "Point") {
            return { className: "fix", color: colour, weight: 3, fillOpacity: 0.6 };
          }
          return { className: "accuracy", color: colour, weight: 1, fillOpacity: 0.15 };
        },
        onEachFeature: (feature, lyr) => {
          const text = describe(feature.properties || {});
          lyr.bindTooltip(text);
          lyr.on("add", () => { const path = lyr.getElement(); if (path) { path.setAttribute("role", "img"); path.setAttribute("aria-label", text); } });
        },
      }).addTo(map);
      const bounds = layer.getBounds();
      if (bounds.isValid()) {
        fittedToEvidence = true;
        map.fitBounds(bounds.pad(0.5), { maxZoom: 16 });
      }
      el.dataset.evidence = String(data.features.filter((f) => f.geometry && f.properties && f.properties.kind === "fix").length);
    })
    .catch(() => {});
})();
