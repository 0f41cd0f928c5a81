/* The live dispatch board: a Leaflet map of the road network (no tiles), the open incidents and
   the patrol units, refreshed by server-sent events; taking a call (the intake form, with the
   standard address register and a point picked on the map), recommendations, dispatch and each
   step of an incident through the API. Data arrive as JSON; text is set with textContent, never
   parsed as HTML. Every write carries an Idempotency-Key, kept until it is answered: a retried
   click is answered with what was recorded, never done twice. */
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
  function $(id) { return document.getElementById(id); }
  // a map tooltip's words as text: Leaflet sets a string tooltip as markup
  function tip(text) { return el("span", text); }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var root = $("board");
  if (!root) return;
  var labels = json("board-labels"), text = json("board-text");
  var canDispatch = root.dataset.canDispatch === "1";
  var clock = new Intl.DateTimeFormat(document.documentElement.lang || "zh-Hans", {
    timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });
  var map = null, unitLayer = null, incidentLayer = null, selected = null, state = json("board-snapshot");

  /* --- talking to the API: JSON in and out, an answer as {status, body} ------------------- */
  function call(method, path, body, key) {
    var headers = { "X-CSRFToken": csrf() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    return fetch(root.dataset.api + path, {
      method: method, credentials: "same-origin", headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) { return { status: r.status, body: d }; });
    });
  }

  function problem(res) {
    /* what went wrong, in the user's words: the fields by their labels */
    var b = res.body || {};
    var errors = (b.errors || []).map(function (e) { return (labels.field[e.field] || "") + " " + e.message; });
    var c = b.conflict || {};
    var extra = c.dispatcher ? " (" + c.unit + " → " + c.incident + ", " + c.dispatcher + ")" : "";
    return errors.length ? errors.join("；") : (b.detail || String(res.status)) + extra;
  }

  /* --- the map -------------------------------------------------------------------------- */
  function initMap() {
    if (!window.L) return;
    map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: text.zoom_in, zoomOutTitle: text.zoom_out }).addTo(map);
    map.createPane("roads");  // under the cars and incidents, whenever the roads arrive
    map.getPane("roads").style.zIndex = 350;
    unitLayer = L.layerGroup().addTo(map);
    incidentLayer = L.layerGroup().addTo(map);
    map.setView([47.35, 130.30], 12);
    map.on("zoomend", drawMap);  // the cars at one post are spread in screen pixels
    if (window.ResizeObserver) {  // the page around the map settles (fonts, the side column)
      new ResizeObserver(function () { map.invalidateSize(); }).observe($("map"));
    }
    map.on("click", function (e) { if (intake.open) intake.place(e.latlng.lng, e.latlng.lat); });
    fetch(root.dataset.network, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      if (!d.bounds) return;
      L.geoJSON(d.roads, {
        pane: "roads", renderer: L.canvas({ pane: "roads" }), interactive: false,
        style: function (f) { return ROAD_STYLE[f.properties["class"]] || ROAD_STYLE.residential; }
      }).addTo(map);
      map.invalidateSize();  // the side column may have changed the map's size meanwhile
      map.fitBounds(areaBounds() || d.bounds);
      $("map").dataset.roads = String(d.roads.features.length);
    });
  }

  function areaBounds() {
    /* a board that sees part of the city (a station chief's) opens on its own cars */
    if (canDispatch) return null;
    var pts = state.units.filter(function (u) { return u.lat !== null; }).map(function (u) { return [u.lat, u.lon]; });
    state.incidents.forEach(function (i) { pts.push([i.lat, i.lon]); });
    return pts.length ? L.latLngBounds(pts).pad(0.3) : null;
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
        var pin = el("span", undefined, "unit-pin-body");
        var dot = el("span", undefined, "unit-dot");
        dot.style.background = UNIT_COLOURS[u.status] || "#333";
        pin.append(dot, el("span", u.call_sign + " · " + (labels.unit[u.status] || ""), "unit-label"));
        L.marker(at, {
          icon: L.divIcon({ className: "unit-pin", html: pin, iconSize: null, iconAnchor: [6, 6] }),
          keyboard: false, interactive: false
        }).addTo(unitLayer);
      });
    });
    state.incidents.forEach(function (i) {
      if (i.status === "closed") return;
      L.circleMarker([i.lat, i.lon], {
        radius: 9 - i.priority * 1.5 + 3, color: i.id === selected ? "#002b5c" : "#7a0019",
        weight: i.id === selected ? 4 : 2, fillColor: "#c8102e", fillOpacity: 0.6
      })
        .bindTooltip(tip(i.number + " " + (labels.category[i.category] || "")))
        .on("click", function () { if (!intake.open) choose(i.id); }).addTo(incidentLayer);
    });
  }

  /* --- the lists ------------------------------------------------------------------------ */
  function drawLists() {
    var list = $("incidents");
    list.replaceChildren();
    var open = state.incidents.filter(function (i) { return i.status !== "closed"; });
    $("incident-count").textContent = "(" + open.length + ")";
    open.forEach(function (i) {
      var li = el("li", undefined, "p" + i.priority + (selected === i.id ? " selected" : ""));
      li.dataset.id = i.id;
      li.dataset.status = i.status;
      li.appendChild(el("strong", i.number + " "));
      li.appendChild(el("span", (labels.category[i.category] || "") + " · " + (labels.incident[i.status] || "")));
      li.appendChild(el("div", i.address, "muted"));
      if (i.off_network) li.appendChild(el("div", text.off_network_incident, "off-network"));
      if (i.units.length) li.appendChild(el("div", i.units.join("、"), "units"));
      li.tabIndex = 0;
      li.addEventListener("click", function () { choose(i.id); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") choose(i.id); });
      list.appendChild(li);
    });
    var body = $("units");
    body.replaceChildren();
    var free = 0;
    state.units.forEach(function (u) {
      if (u.status === "available") free++;
      var tr = el("tr");
      tr.dataset.id = u.id;
      tr.dataset.status = u.status;
      var sign = el("td", u.call_sign);
      if (u.off_network) { sign.appendChild(el("span", " " + text.off_network_unit, "off-network")); tr.dataset.offNetwork = "1"; }
      tr.appendChild(sign);
      tr.appendChild(el("td", labels.unit[u.status] || "", "unit-" + u.status));
      tr.appendChild(el("td", u.zone));
      tr.appendChild(el("td", (u.crew || []).join("、"), "hide-narrow muted"));
      body.appendChild(tr);
    });
    $("unit-count").textContent = "(" + free + "/" + state.units.length + ")";
  }

  function render() { drawLists(); drawMap(); }

  /* --- one incident: its timeline, its cars, the next steps -------------------------------- */
  function choose(id, focusFirst) {
    selected = id;
    render();
    $("incident").hidden = false;
    $("dispatch-message").textContent = "";
    $("incident-message").textContent = "";
    showDetail(id);
    recommend(id, focusFirst);
  }

  function showDetail(id) {
    return call("GET", "incidents/" + id).then(function (res) {
      if (res.status !== 200 || selected !== id) return;
      var d = res.body;
      var panel = $("incident");
      panel.dataset.id = d.id;
      panel.dataset.status = d.status;
      $("incident-number").textContent = d.number;
      $("incident-status").textContent = labels.incident[d.status] || "";
      $("incident-what").textContent = (labels.category[d.category] || "") + " · " + (labels.priority[String(d.priority)] || "") + " · " + d.summary;
      $("incident-where").textContent = d.address;
      $("incident-caller").textContent = d.caller_phone || d.caller_name ? text.caller + "：" + [d.caller_name, d.caller_phone].filter(Boolean).join(" ") : "";
      var cars = $("incident-units");
      cars.replaceChildren();
      if (!d.units.length) cars.appendChild(el("li", text.no_units, "muted"));
      d.units.forEach(function (u) {
        var li = el("li");
        li.dataset.unit = u.id;
        li.dataset.status = u.status;
        li.appendChild(el("strong", u.call_sign + " "));
        li.appendChild(el("span", labels.unit[u.status] || ""));
        if (canDispatch) {
          if (u.status === "dispatched") li.appendChild(stepButton(text.en_route, "en-route", function () { return unitStep(u.id, "en_route"); }));
          if (u.status === "dispatched" || u.status === "en_route") li.appendChild(stepButton(text.on_scene, "on-scene", function () { return unitStep(u.id, "on_scene"); }));
          li.appendChild(stepButton(text.recall, "recall", function () {
            return incidentStep("recall", { unit_id: u.id, reason: $("dispatch-reason").value });
          }));
        }
        cars.appendChild(li);
      });
      var steps = $("timeline");
      steps.replaceChildren();
      d.steps.forEach(function (s) {
        var li = el("li");
        li.dataset.kind = s.kind;
        li.appendChild(el("time", clock.format(new Date(s.at))));
        var what = [labels.event[s.kind] || "", s.unit, s.disposition ? labels.disposition[s.disposition] || "" : "", s.note].filter(Boolean).join(" · ");
        li.appendChild(el("span", " " + what));
        if (s.by) li.appendChild(el("span", " · " + text.by + " " + s.by, "muted"));
        steps.appendChild(li);
      });
      var actions = $("incident-actions");
      if (actions) actions.hidden = d.actions.indexOf("close") < 0;
      $("recommend").hidden = !canDispatch || d.status === "closed";
    });
  }

  function stepButton(label, cls, act) {
    var b = el("button", label, "step-" + cls);
    b.type = "button";
    b.addEventListener("click", function () {
      b.disabled = true;
      act().then(function () { b.disabled = false; });
    });
    return b;
  }

  function answered(res, okCodes) {
    var msg = $("incident-message");
    if (okCodes.indexOf(res.status) >= 0) { msg.textContent = text.done; msg.className = "ok"; return true; }
    msg.textContent = problem(res);
    msg.className = "error";
    return false;
  }

  var pending = {};  // a press's key, kept until the server answers it: a retry is the same press
  function keyFor(what) { return pending[what] || (pending[what] = newKey()); }
  function send(path, body, what, okCodes) {
    var key = keyFor(what);
    return call("POST", path, body, key).then(function (res) {
      delete pending[what];
      if (answered(res, okCodes) && selected) showDetail(selected);
      return res;
    }, function () {
      var msg = $("incident-message");
      msg.textContent = text.network;
      msg.className = "error";
    });
  }

  function unitStep(unitId, status) {
    return send("patrol-units/" + unitId + "/status", { status: status }, "unit:" + unitId + ":" + status, [200]);
  }

  function incidentStep(action, body) {
    return send("incidents/" + selected + "/" + action, body, action + ":" + selected + ":" + JSON.stringify(body), [200]);
  }

  function recommend(id, focusFirst) {
    $("recommend-for").textContent = "";
    var list = $("recommendations");
    list.replaceChildren();
    list.dataset.ready = "";
    if (!canDispatch) { $("recommend").hidden = true; return; }
    $("recommend").hidden = false;
    call("GET", "incidents/" + id + "/recommendations").then(function (res) {
      var recs = res.body;
      if (!Array.isArray(recs) || !recs.length) {
        var far = (state.incidents.find(function (x) { return x.id === id; }) || {}).off_network;
        list.appendChild(el("li", far ? text.off_network_incident : text.none, far ? "off-network" : undefined));
        return;
      }
      recs.forEach(function (r) {
        var li = el("li");
        li.dataset.unit = r.unit_id;
        li.appendChild(el("strong", r.rank + ". " + r.call_sign + " "));
        li.appendChild(el("span", text.eta + " " + (r.eta_seconds / 60).toFixed(1) + " " + text.min + (r.distance_m === null ? "" : " · " + (r.distance_m / 1000).toFixed(1) + " " + text.km)));
        li.appendChild(el("div", r.why.join("；"), "muted"));
        var b = el("button", text.dispatch);
        b.type = "button";
        b.addEventListener("click", function () { dispatch(id, r.unit_id, b); });
        li.appendChild(b);
        list.appendChild(li);
      });
      list.dataset.ready = "1";
      if (focusFirst) {
        list.querySelector("button").focus();  // Enter sends the first car
        if (intake.startedAt !== null) {  // the intake form to the cars on screen (bench/intake_screen.py)
          window.precinctBoard.lastIntakeMs = performance.now() - intake.startedAt;
          intake.startedAt = null;
        }
      }
    });
  }

  function dispatch(incidentId, unitId, button) {
    var msg = $("dispatch-message");
    var what = "dispatch:" + incidentId + ":" + unitId;
    button.disabled = true;
    call("POST", "incidents/" + incidentId + "/dispatch", { unit_id: unitId, reason: $("dispatch-reason").value }, keyFor(what))
      .then(function (res) {
        delete pending[what];
        choose(incidentId);
        if (res.status === 201) {
          msg.textContent = text.sent + "：" + res.body.call_sign;
          msg.className = "ok";
        } else {
          msg.textContent = problem(res);
          msg.className = "error";
        }
      }, function () { button.disabled = false; msg.textContent = text.network; msg.className = "error"; });
  }

  /* --- taking a call ---------------------------------------------------------------------- */
  var intake = { open: false, key: null, point: null, marker: null, options: [], active: -1, busy: false, startedAt: null };
  window.precinctBoard = { lastIntakeMs: null };

  intake.show = function () {
    var form = $("intake");
    if (!form) return;
    form.hidden = false;
    intake.open = true;
    if (!intake.key) intake.key = newKey();
    $("map").classList.add("picking");
    $("in-phone").focus();
  };

  intake.hide = function () {
    $("intake").hidden = true;
    intake.open = false;
    $("map").classList.remove("picking");
    closeOptions();
  };

  intake.reset = function () {
    $("intake").reset();
    intake.key = null;
    intake.point = null;
    if (intake.marker) { intake.marker.remove(); intake.marker = null; }
    showPoint();
    $("intake-errors").textContent = "";
  };

  intake.place = function (lon, lat) {
    intake.point = { lon: lon, lat: lat };
    if (map) {
      if (!intake.marker) {
        intake.marker = L.marker([lat, lon], { draggable: true, keyboard: false }).addTo(map);
        intake.marker.on("dragend", function () {
          var p = intake.marker.getLatLng();
          intake.point = { lon: p.lng, lat: p.lat };
          showPoint();
        });
      } else {
        intake.marker.setLatLng([lat, lon]);
      }
      if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);  // only when out of sight
    }
    showPoint();
  };

  function showPoint() {
    var p = $("in-point");
    if (!p) return;
    if (!intake.point) { p.dataset.set = "0"; p.textContent = p.dataset.hint || p.textContent; return; }
    p.dataset.hint = p.dataset.hint || p.textContent;
    p.dataset.set = "1";
    p.textContent = text.point.replace("%(lon)s", intake.point.lon.toFixed(5)).replace("%(lat)s", intake.point.lat.toFixed(5));
  }

  var lookup = null, asked = "";
  function suggest() {
    var q = $("in-address").value.trim();
    if (q === asked) return;
    asked = q;
    if (!q) { closeOptions(); return; }
    call("GET", "addresses?q=" + encodeURIComponent(q)).then(function (res) {
      if ($("in-address").value.trim() !== q) return;  // typed on meanwhile
      intake.options = Array.isArray(res.body) ? res.body : [];
      drawOptions();
    });
  }

  function drawOptions() {
    var list = $("address-options"), input = $("in-address");
    list.replaceChildren();
    intake.active = intake.options.length ? 0 : -1;
    if (!intake.options.length) {
      list.appendChild(el("li", text.no_match, "muted"));
    }
    intake.options.forEach(function (a, n) {
      var li = el("li", a.label);
      li.id = "address-option-" + n;
      li.setAttribute("role", "option");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(n); });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    markActive();
  }

  function markActive() {
    var input = $("in-address");
    Array.prototype.forEach.call($("address-options").children, function (li, n) {
      li.setAttribute("aria-selected", n === intake.active ? "true" : "false");
    });
    if (intake.active >= 0) input.setAttribute("aria-activedescendant", "address-option-" + intake.active);
    else input.removeAttribute("aria-activedescendant");
  }

  function closeOptions() {
    var list = $("address-options");
    if (!list) return;
    list.hidden = true;
    $("in-address").setAttribute("aria-expanded", "false");
    $("in-address").removeAttribute("aria-activedescendant");
    intake.active = -1;
  }

  function pick(n) {
    var a = intake.options[n];
    if (!a) return;
    $("in-address").value = a.label;
    asked = a.label;
    intake.place(a.lon, a.lat);
    closeOptions();
  }

  function submitIntake(e) {
    e.preventDefault();
    if (intake.busy) return;  // a second press while the first is on its way: the same call
    var errors = [];
    ["in-address", "in-summary"].forEach(function (id) {
      var input = $(id);
      if (!input.value.trim()) errors.push(labels.field[input.name] + " " + text.required);
    });
    if (!intake.point) errors.push(labels.field.address + " " + text.need_place);
    var box = $("intake-errors");
    if (errors.length) { box.textContent = errors.join("；"); return; }
    var body = {
      category: $("in-category").value,
      priority: Number($("in-priority").value),
      lon: intake.point.lon, lat: intake.point.lat,
      address: $("in-address").value.trim(),
      summary: $("in-summary").value.trim()
    };
    var phone = $("in-phone").value.trim(), name = $("in-name").value.trim();
    if (phone) body.caller_phone = phone;
    if (name) body.caller_name = name;
    var button = $("intake-submit");
    intake.startedAt = performance.now();
    window.precinctBoard.lastIntakeMs = null;
    $("recommendations").dataset.ready = "";
    intake.busy = true;
    button.disabled = true;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = text.registering;
    box.textContent = "";
    call("POST", "incidents", body, intake.key).then(function (res) {
      if (res.status === 201 || res.status === 200) {
        intake.reset();
        intake.hide();
        if (!state.incidents.some(function (i) { return i.id === res.body.id; })) {
          state.incidents.push({
            id: res.body.id, number: res.body.number, category: res.body.category, priority: res.body.priority,
            status: res.body.status, lat: res.body.lat, lon: res.body.lon, address: res.body.address,
            summary: res.body.summary, station: "", received_at: res.body.received_at, units: []
          });
        }
        choose(res.body.id, true);
        var msg = $("incident-message");
        msg.textContent = text.registered + "：" + res.body.number;
        msg.className = "ok";
      } else {
        box.textContent = problem(res);  // the key is kept: the same call, corrected, is a new body
        if (res.status === 409) intake.key = newKey();
      }
    }, function () {
      box.textContent = text.network;  // the key is kept: pressing again cannot make two
    }).then(function () {
      intake.busy = false;
      button.disabled = false;
      button.textContent = button.dataset.label;
    });
  }

  function wireIntake() {
    var form = $("intake");
    if (!form) return;
    $("new-incident").addEventListener("click", intake.show);
    $("intake-cancel").addEventListener("click", function () { intake.reset(); intake.hide(); });
    form.addEventListener("submit", submitIntake);
    var address = $("in-address");
    address.addEventListener("input", function () {
      intake.point = null;  // a changed address needs its place again
      if (intake.marker) { intake.marker.remove(); intake.marker = null; }
      showPoint();
      clearTimeout(lookup);
      lookup = setTimeout(suggest, 120);
    });
    address.addEventListener("keydown", function (e) {
      var open = !$("address-options").hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { asked = ""; suggest(); return; }
        intake.active = Math.min(intake.active + 1, intake.options.length - 1);
        markActive();
      } else if (e.key === "ArrowUp" && open) {
        e.preventDefault();
        intake.active = Math.max(intake.active - 1, 0);
        markActive();
      } else if (e.key === "Enter" && open && intake.active >= 0) {
        e.preventDefault();  // Enter picks the address; the next Enter registers
        pick(intake.active);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        e.stopPropagation();
        closeOptions();
      }
    });
    address.addEventListener("blur", function () {
      // a click on a suggestion blurs the field first; close later, unless the focus came back
      setTimeout(function () { if (document.activeElement !== address) closeOptions(); }, 150);
    });
    $("in-summary").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }  // Shift+Enter: a new line
    });
    document.addEventListener("keydown", function (e) {
      if (e.altKey && (e.key === "n" || e.key === "N")) { e.preventDefault(); intake.show(); }
      else if (e.key === "Escape" && intake.open) { intake.hide(); $("new-incident").focus(); }
    });
  }

  function wireActions() {
    var close = $("close-button");
    if (!close) return;
    close.addEventListener("click", function () {
      close.disabled = true;
      incidentStep("close", { disposition: $("close-disposition").value, note: $("close-note").value })
        .then(function (res) { close.disabled = false; if (res && res.status === 200) $("close-note").value = ""; });
    });
    var cancel = $("cancel-button");
    cancel.addEventListener("click", function () {
      var reason = $("cancel-reason").value.trim();
      if (!reason) {
        var msg = $("incident-message");
        msg.textContent = labels.field.reason + " " + text.required;
        msg.className = "error";
        $("cancel-reason").focus();
        return;
      }
      cancel.disabled = true;
      incidentStep("cancel", { reason: reason }).then(function (res) {
        cancel.disabled = false;
        if (res && res.status === 200) $("cancel-reason").value = "";
      });
    });
  }

  function connect() {
    var badge = $("live-state");
    var source = new EventSource(root.dataset.stream);
    source.addEventListener("board", function (e) {
      state = JSON.parse(e.data);
      badge.textContent = text.live;
      badge.dataset.live = "live";
      render();
      if (selected) showDetail(selected);  // its timeline follows every step, whoever took it
    });
    source.onerror = function () { badge.textContent = text.offline; badge.dataset.live = "offline"; };
  }

  window.addEventListener("DOMContentLoaded", function () {
    initMap();
    render();
    wireIntake();
    wireActions();
    connect();
  });
})();
