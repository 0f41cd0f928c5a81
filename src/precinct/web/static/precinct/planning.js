/* The planning run's map: the road network, today's posts (grey) and the optimised ones (blue). */
(function () {
  "use strict";
  window.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("plan-map");
    var data = document.getElementById("plan-points");
    if (!el || !data || !window.L) return;
    var points = JSON.parse(data.textContent);
    var map = L.map(el, { preferCanvas: true });
    map.createPane("roads");
    map.getPane("roads").style.zIndex = 350;
    fetch(el.dataset.network, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.bounds) return;
      L.geoJSON(d.roads, { pane: "roads", renderer: L.canvas({ pane: "roads" }), interactive: false,
        style: { color: "#d6dae0", weight: 1 } }).addTo(map);
      map.fitBounds(d.bounds);
      el.dataset.drawn = "1";
    });
    points.current.forEach(function (p) {
      L.circleMarker([p[1], p[0]], { radius: 6, color: "#fff", weight: 1, fillColor: "#8a96a3", fillOpacity: 1 }).addTo(map);
    });
    points.optimised.forEach(function (p) {
      L.circleMarker([p[1], p[0]], { radius: 5, color: "#fff", weight: 1, fillColor: "#1f4e8c", fillOpacity: 1 }).addTo(map);
    });
  });
})();
