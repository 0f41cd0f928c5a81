/* The live dispatch board: a Leaflet map of the road network (no tiles), the open incidents and
   the patrol units, refreshed by server-sent events; recommendations and dispatch through the API.
   Data arrive as JSON; text is set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var UNIT_COLOURS = {
    available: "#1b7f3b", dispatched: "#d99a00", en_route: "#d99a00", on_scene: "#c8102e",
    returning: "#4f7fbf", off_duty: "#8a96a3"
  };
  var ROAD_STYLE = {
    motorway: { color: "#b36b00", weight: 3 }, trunk: { color: "#c98a2b", weight: 3 },
    primary: { color: "#d6a24a", weight: 2.5 }, secondary: { color: "#c9ced6", weight: 2 },
    tertiary: { color: "#d6dae0", weight: 1.5 }, residential: { color: "#e3e6ea", weight: 1 },
    service: { color: "#eceef1", weight: 0.8 }
  };

  function json(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }

  var root = document.getElementById("board");
  if (!root) return;
  var labels = json("board-labels"), text = json("board-text");
  var canDispatch = root.dataset.canDispatch === "1";
  var map = null, unitLayer = null, incidentLayer = null, selected = null, state = json("board-snapshot");

  function initMap() {
    if (!window.L) return;
    map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
    map.createPane("roads");  // under the cars and incidents, whenever the roads arrive
    map.getPane("roads").style.zIndex = 350;
    unitLayer = L.layerGroup().addTo(map);
    incidentLayer = L.layerGroup().addTo(map);
    map.setView([47.35, 130.30], 12);
    map.on("zoomend", drawMap);  // the cars at one post are spread in screen pixels
    fetch(root.dataset.network, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.bounds) return;
      L.geoJSON(d.roads, {
        pane: "roads", renderer: L.canvas({ pane: "roads" }), interactive: false,
        style: function (f) { return ROAD_STYLE[f.properties["class"]] || ROAD_STYLE.residential; }
      }).addTo(map);
      map.fitBounds(d.bounds);
      document.getElementById("map").dataset.roads = String(d.roads.features.length);
    });
  }

  function drawMap() {
    if (!map) return;
    unitLayer.clearLayers();
    incidentLayer.clearLayers();
    // cars standing at one place (a patrol post) are spread on a small ring around it, so that
    // each one can be seen and pointed at; a label gives its call sign
    var atPlace = {};
    state.units.forEach(function (u) {
      if (u.lat === null) return;
      var key = u.lat.toFixed(5) + "," + u.lon.toFixed(5);
      (atPlace[key] = atPlace[key] || []).push(u);
    });
    Object.keys(atPlace).forEach(function (key) {
      var group = atPlace[key];
      // the ring is measured on the screen, so the dots stay apart at every zoom
      var centre = map.latLngToLayerPoint([group[0].lat, group[0].lon]);
      var ring = group.length > 1 ? Math.max(11, 2.2 * group.length) : 0;
      group.forEach(function (u, n) {
        var angle = -Math.PI / 2 + 2 * Math.PI * n / group.length;  // one above another: labels stack
        var at = map.layerPointToLatLng(L.point(centre.x + ring * Math.cos(angle), centre.y + ring * Math.sin(angle)));
        // the dot and its label are one element: Leaflet's permanent tooltips outlive their
        // markers when a layer is cleared around a zoom, and a board then showed each car twice
        var pin = document.createElement("span");
        pin.className = "unit-pin-body";
        var dot = document.createElement("span");
        dot.className = "unit-dot";
        dot.style.background = UNIT_COLOURS[u.status] || "#333";
        var label = document.createElement("span");
        label.className = "unit-label";
        label.textContent = u.call_sign + " · " + (labels.unit[u.status] || u.status);
        pin.append(dot, label);
        L.marker(at, {
          icon: L.divIcon({ className: "unit-pin", html: pin, iconSize: null, iconAnchor: [6, 6] }),
          keyboard: false, interactive: false
        }).addTo(unitLayer);
      });
    });
    state.incidents.forEach(function (i) {
      if (i.status === "closed") return;
      L.circleMarker([i.lat, i.lon], { radius: 9 - i.priority * 1.5 + 3, color: "#7a0019", weight: 2, fillColor: "#c8102e", fillOpacity: 0.6 })
        .bindTooltip(i.number + " " + (labels.category[i.category] || i.category))
        .on("click", function () { choose(i.id); }).addTo(incidentLayer);
    });
  }

  function drawLists() {
    var list = document.getElementById("incidents");
    list.replaceChildren();
    var open = state.incidents.filter(function (i) { return i.status !== "closed"; });
    document.getElementById("incident-count").textContent = "(" + open.length + ")";
    open.forEach(function (i) {
      var li = el("li", undefined, "p" + i.priority + (selected === i.id ? " selected" : ""));
      li.dataset.id = i.id;
      li.dataset.status = i.status;
      li.appendChild(el("strong", i.number + " "));
      li.appendChild(el("span", (labels.category[i.category] || i.category) + " · " + (labels.incident[i.status] || i.status)));
      li.appendChild(el("div", i.address, "muted"));
      if (i.units.length) li.appendChild(el("div", i.units.join(", "), "units"));
      li.tabIndex = 0;
      li.addEventListener("click", function () { choose(i.id); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") choose(i.id); });
      list.appendChild(li);
    });
    var body = document.getElementById("units");
    body.replaceChildren();
    var free = 0;
    state.units.forEach(function (u) {
      if (u.status === "available") free++;
      var tr = el("tr");
      tr.dataset.id = u.id;
      tr.dataset.status = u.status;
      tr.appendChild(el("td", u.call_sign));
      var st = el("td", labels.unit[u.status] || u.status, "unit-" + u.status);
      tr.appendChild(st);
      tr.appendChild(el("td", u.zone));
      tr.appendChild(el("td", (u.crew || []).join("、"), "hide-narrow muted"));
      body.appendChild(tr);
    });
    document.getElementById("unit-count").textContent = "(" + free + "/" + state.units.length + ")";
  }

  function render() { drawLists(); drawMap(); }

  function choose(id) {
    selected = id;
    drawLists();
    var incident = state.incidents.find(function (i) { return i.id === id; });
    var box = document.getElementById("recommend");
    box.hidden = false;
    document.getElementById("recommend-for").textContent = incident ? incident.number : "";
    document.getElementById("dispatch-message").textContent = "";
    var list = document.getElementById("recommendations");
    list.replaceChildren();
    if (!canDispatch) return;
    fetch(root.dataset.api + "incidents/" + id + "/recommendations", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (recs) {
        if (!Array.isArray(recs) || !recs.length) { list.appendChild(el("li", text.none)); return; }
        recs.forEach(function (r) {
          var li = el("li");
          li.dataset.unit = r.unit_id;
          li.appendChild(el("strong", r.rank + ". " + r.call_sign + " "));
          li.appendChild(el("span", text.eta + " " + (r.eta_seconds / 60).toFixed(1) + " " + text.min + " · " + (r.distance_m / 1000).toFixed(1) + " " + text.km));
          li.appendChild(el("div", r.why.join("; "), "muted"));
          var b = el("button", text.dispatch);
          b.type = "button";
          b.addEventListener("click", function () { send(id, r.unit_id); });
          li.appendChild(b);
          list.appendChild(li);
        });
      });
  }

  function send(incidentId, unitId) {
    var msg = document.getElementById("dispatch-message");
    fetch(root.dataset.api + "incidents/" + incidentId + "/dispatch", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ unit_id: unitId, reason: document.getElementById("dispatch-reason").value })
    }).then(function (r) { return r.json().then(function (d) { return { status: r.status, body: d }; }); })
      .then(function (res) {
        choose(incidentId);
        if (res.status === 201) {
          msg.textContent = text.sent + ": " + res.body.call_sign;
          msg.className = "ok";
        } else {
          var c = res.body.conflict || {};
          var extra = c.dispatcher ? " (" + c.unit + " → " + c.incident + ", " + c.dispatcher + ")" : "";
          var errors = (res.body.errors || []).map(function (e) { return e.field + ": " + e.message; }).join("; ");
          msg.textContent = (res.body.detail || res.status) + extra + (errors ? " — " + errors : "");
          msg.className = "error";
        }
      });
  }

  function connect() {
    var badge = document.getElementById("live-state");
    var source = new EventSource(root.dataset.stream);
    source.addEventListener("board", function (e) {
      state = JSON.parse(e.data);
      badge.textContent = text.live;
      badge.dataset.live = "live";
      render();
    });
    source.onerror = function () { badge.textContent = text.offline; badge.dataset.live = "offline"; };
  }

  window.addEventListener("DOMContentLoaded", function () {
    initMap();
    render();
    connect();
  });
})();
