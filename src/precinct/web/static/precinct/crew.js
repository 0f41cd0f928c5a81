/* The car crew's terminal (/crew/): the car, its shift and its assignment, live by server-sent
   events; the status buttons; the phone's position as pings while on duty.

   Offline queue: a press becomes a step {key, step, body: {status, disposition?, note?, at}} kept
   in localStorage (one queue a car) and shown at once, marked "not sent yet". Steps are sent in
   order, each with its own Idempotency-Key: a 2xx, or a refusal (4xx: the server's reason is
   shown), takes it off the queue; no answer (the network, a 5xx) keeps it, to be sent again on
   the "online" event and every few seconds — with the same key, so the server does it once. A
   401/403 (the session ended) keeps it too, until the crew signs in again.
   Text is set with textContent, never parsed as HTML. */
(function () {
  "use strict";

  function json(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function $(id) { return document.getElementById(id); }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }
  function noop() {}

  var root = $("crew");
  if (!root) return;
  var state = json("crew-state"), labels = json("crew-labels"), text = json("crew-text"), cfg = json("crew-config");
  var QUEUE = "precinct.crew.queue." + cfg.unit_id;
  var FREEING = { clear: true, available: true, off_duty: true };
  var memory = null;  // the queue when the phone keeps no localStorage
  var sending = false, signedOut = false, liveState = false, quietUntil = 0;
  var clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: cfg.tz });
  var clockSeconds = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: cfg.tz });
  function hhmm(iso) { return iso ? clock.format(new Date(iso)) : ""; }

  // --- the queue --------------------------------------------------------------------------------
  function newKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var b = new Uint8Array(16), i;
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;  // an RFC 4122 version 4 UUID
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  function loadQueue() {
    try {
      var q = JSON.parse(window.localStorage.getItem(QUEUE) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) { return memory || []; }
  }
  function saveQueue(q) {
    try { window.localStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { memory = q; }
  }
  function drop(key) { saveQueue(loadQueue().filter(function (s) { return s.key !== key; })); }

  function press(step, extra) {
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + 600;
    var body = { status: cfg.step_status[step], at: new Date().toISOString() };
    if (extra && extra.disposition) body.disposition = extra.disposition;
    if (extra && extra.note) body.note = extra.note;
    var q = loadQueue();
    q.push({ key: newKey(), step: step, body: body });
    saveQueue(q);
    say("", "");
    render();
    flush();
  }

  function flush() {
    if (sending) return;
    var q = loadQueue();
    if (!q.length) return;
    var item = q[0];
    sending = true;
    // an answer that never comes counts as none: the step is kept and sent again
    var abort = window.AbortController ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, 20000) : null;
    fetch(cfg.status_url, {
      method: "POST",
      credentials: "same-origin",
      signal: abort ? abort.signal : undefined,
      headers: {
        "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRFToken": csrf(), "Idempotency-Key": item.key
      },
      body: JSON.stringify(item.body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, redirected: r.redirected, data: data || {} };
      });
    }).then(function (res) {
      sending = false;
      clearTimeout(timer);
      if (res.status >= 200 && res.status < 300 && !res.redirected) {
        drop(item.key);
        signedOut = false;
        if (res.data.status) state.unit.status = res.data.status;
        render();
        refresh();
        flush();
      } else if (res.status === 401 || res.status === 403 || res.redirected) {
        signedOut = true;  // kept: sent once the crew signs in again
        render();
      } else if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        drop(item.key);  // refused: it will not be done; say why
        say(fill(text.refused, { step: labels.step[item.step] || "", detail: reason(res.data) }), "error");
        render();
        refresh();
        flush();
      } else {
        render();  // no answer worth the name: kept, tried again
      }
    }).catch(function () {
      sending = false;  // the network: kept, tried again
      clearTimeout(timer);
      render();
    });
  }

  function reason(data) {
    var parts = [], c = data.conflict;
    if (c && c.status && labels.unit[c.status]) {  // the car moved meanwhile: say where it is
      return fill(text.conflict, { unit: c.unit || state.unit.call_sign, status: labels.unit[c.status] });
    }
    if (data.errors && data.errors.length) {
      data.errors.forEach(function (e) { parts.push(e.message || ""); });
    }
    if (!parts.length && data.detail) parts.push(typeof data.detail === "string" ? data.detail : "");
    return parts.filter(Boolean).join("; ");
  }

  // --- the state ---------------------------------------------------------------------------------
  function view() {
    var v = { status: state.unit.status, assigned: !!state.assignment, pending: loadQueue() };
    v.pending.forEach(function (s) {
      v.status = cfg.step_status[s.step] || v.status;
      if (FREEING[s.step]) v.assigned = false;
    });
    return v;
  }

  function refresh() {
    fetch(cfg.state_url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.redirected || r.status === 401 || r.status === 403) { signedOut = true; render(); return null; }
        if (!r.ok) return null;
        var cached = r.headers.get("X-Crew-Cached") === "1";
        return r.json().then(function (d) {
          // a copy kept by the service worker never replaces what the server said live
          if (cached && (liveState || d.at < cfg.at)) return;
          if (d && d.state) { state = d.state; if (!cached) { liveState = true; signedOut = false; } render(); }
        });
      }).catch(noop);
  }

  function listen() {
    if (!window.EventSource) return;
    var source = new EventSource(cfg.stream_url);
    source.addEventListener("crew", function (e) {
      var d = JSON.parse(e.data);
      if (!d) return;
      state = d;
      liveState = true;
      setLive("live");
      render();
    });
    source.onopen = function () { setLive("live"); flush(); };
    source.onerror = function () {
      setLive("offline");
      if (source.readyState === EventSource.CLOSED) {  // e.g. the session ended: look again later
        setTimeout(function () { refresh(); listen(); }, cfg.retry_seconds * 1000);
      }
    };
  }

  function setLive(s) {
    var el = $("live");
    el.dataset.live = s;
    el.textContent = text[s] || "";
  }

  function say(message, kind) {
    var el = $("message");
    el.textContent = message;
    el.className = "crew-message" + (kind ? " " + kind : "");
    el.hidden = !message;
  }

  // --- drawing ----------------------------------------------------------------------------------
  function render() {
    var v = view(), unit = state.unit, a = state.assignment;
    var status = $("unit-status");
    status.dataset.status = v.status;
    status.dataset.pending = v.pending.length ? "1" : "0";
    status.textContent = (labels.unit[v.status] || "") + (v.pending.length ? " · " + text.pending : "");
    $("call-sign").textContent = unit.call_sign;
    $("shift").textContent = labels.shift[state.shift.name] || "";
    $("shift-hours").textContent = hhmm(state.shift.start) + "–" + hhmm(state.shift.end);
    $("shift-crew").textContent = state.shift.crew.join("、");

    var queue = $("queue");
    queue.dataset.pending = String(v.pending.length);
    queue.hidden = !v.pending.length && !signedOut;
    queue.textContent = "";
    if (v.pending.length) queue.append(fill(text.queue, { n: v.pending.length }));
    if (signedOut) {
      queue.append(" " + text.signed_out + " ");
      var link = document.createElement("a");
      link.href = cfg.login_url;
      link.textContent = text.sign_in;
      queue.append(link);
    }

    drawButtons(v);
    drawAssignment(a);
    maybePing();
  }

  var quietTimer = null;
  function drawButtons(v) {
    var box = $("actions");
    var steps = (cfg.buttons[v.assigned ? "assigned" : "free"] || {})[v.status] || [];
    var quiet = quietUntil - Date.now();
    if (quiet > 0 && !quietTimer) {  // the next buttons wake a moment after a press
      quietTimer = setTimeout(function () { quietTimer = null; render(); }, quiet + 10);
    }
    box.textContent = "";
    steps.forEach(function (step) {
      var b = document.createElement("button");
      b.type = "button";
      b.disabled = quiet > 0;  // a double tap does not press the button that takes the place
      b.className = "crew-button crew-step-" + step + (step === "on_scene" || step === "en_route" ? " primary" : "");
      b.dataset.step = step;
      b.textContent = labels.step[step] || "";
      b.addEventListener("click", function () {
        if (step === "clear") { openClear(); return; }
        press(step);
      });
      box.append(b);
    });
    if (steps.indexOf("clear") === -1) $("clear-form").hidden = true;
  }

  function openClear() {
    var form = $("clear-form");
    form.reset();
    $("clear-confirm").disabled = true;
    form.hidden = false;
    form.scrollIntoView({ block: "nearest" });
  }

  var drawnIncident = null;
  function drawAssignment(a) {
    var box = $("assignment");
    box.dataset.incident = a ? a.id : "";
    $("incident").hidden = !a;
    $("no-assignment").hidden = !!a;
    $("no-assignment").textContent = a ? "" : text.no_assignment;
    if (!a) { drawnIncident = null; return; }
    $("incident-number").textContent = a.number;
    $("incident-category").textContent = labels.category[a.category] || "";
    $("incident-priority").textContent = labels.priority[String(a.priority)] || "";
    $("incident-address").textContent = a.address;
    $("incident-summary").textContent = a.summary;
    $("caller-name").textContent = a.caller_name || "";
    $("caller-phone").textContent = a.caller_phone || "";
    $("incident-status").textContent = labels.incident[a.status] || "";
    var others = a.units.map(function (u) { return u.call_sign + " " + (labels.unit[u.status] || ""); });
    $("incident-others").textContent = others.length ? fill(text.also, { cars: others.join("、") }) : "";
    var list = $("incident-steps");
    list.textContent = "";
    a.steps.forEach(function (s) {
      var li = document.createElement("li");
      var time = document.createElement("time");
      time.dateTime = s.at;
      time.textContent = hhmm(s.at);
      li.append(time, " " + (labels.event[s.kind] || "") + (s.unit ? " · " + s.unit : ""));
      list.append(li);
    });
    drawMap(a);
  }

  var map = null, layer = null;
  function drawMap(a) {
    var box = $("crew-map");
    if (!window.L || !box) return;
    if (!map) {
      map = L.map(box, { attributionControl: false, zoomControl: false, zoomSnap: 0.5 });
      L.control.zoom({ zoomInTitle: text.zoom_in, zoomOutTitle: text.zoom_out }).addTo(map);
      layer = L.layerGroup().addTo(map);
    }
    map.invalidateSize();
    layer.clearLayers();
    var points = [[a.lat, a.lon]];
    var unit = state.unit;
    if (unit.lat !== null && unit.lon !== null) {
      points.push([unit.lat, unit.lon]);
      L.polyline(points, { color: "#5b6775", weight: 2, dashArray: "4 6", interactive: false }).addTo(layer);
      L.circleMarker([unit.lat, unit.lon], { radius: 9, color: "#fff", weight: 2, fillColor: "#0b3d91", fillOpacity: 1 })
        .bindTooltip(tip(unit.call_sign), { permanent: true, direction: "right" }).addTo(layer);
    }
    L.circleMarker([a.lat, a.lon], { radius: 11, color: "#fff", weight: 2, fillColor: "#c8102e", fillOpacity: 1 })
      .bindTooltip(tip(a.number), { permanent: true, direction: "right" }).addTo(layer);
    if (drawnIncident !== a.id) {  // framed once an incident; then the crew may pan and zoom
      if (points.length > 1) map.fitBounds(points, { padding: [36, 36], maxZoom: 16 });
      else map.setView(points[0], 15);
      drawnIncident = a.id;
    }
    box.dataset.points = String(points.length);
  }
  function tip(label) { var s = document.createElement("span"); s.textContent = label; return s; }

  // --- the phone's position -------------------------------------------------------------------
  var position = null, lastPing = 0, pingTimer = null;
  function geo(stateName, values) {
    var el = $("position");
    el.dataset.state = stateName;
    el.textContent = fill(text["geo_" + stateName] || "", values || {});
  }
  function watch() {
    if (!navigator.geolocation) { geo("off"); return; }
    geo("wait");
    navigator.geolocation.watchPosition(function (p) {
      position = p;
      maybePing();
    }, function (err) {
      if (err && err.code !== 3) geo("off");  // 3: no fix yet (a timeout): keep waiting
    }, { enableHighAccuracy: true, maximumAge: cfg.ping_seconds * 1000, timeout: 60000 });
  }
  function maybePing() {
    if (!position) return;
    if (view().status === "off_duty") { geo("paused"); return; }
    var wait = lastPing + cfg.ping_seconds * 1000 - Date.now();
    if (wait > 0) {
      if (!pingTimer) pingTimer = setTimeout(function () { pingTimer = null; maybePing(); }, wait);
      return;
    }
    var p = position;
    position = null;
    lastPing = Date.now();
    fetch(cfg.position_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ lon: p.coords.longitude, lat: p.coords.latitude, at: new Date(p.timestamp).toISOString() })
    }).then(function (r) {
      if (r.ok) geo("sent", { time: clockSeconds.format(new Date()) });
    }).catch(noop);  // a ping lost is replaced by the next one
  }

  // --- wiring -----------------------------------------------------------------------------------
  var form = $("clear-form");
  form.addEventListener("change", function () {
    $("clear-confirm").disabled = !form.querySelector("input[name=disposition]:checked");
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var chosen = form.querySelector("input[name=disposition]:checked");
    if (!chosen) { say(text.choose, "error"); return; }
    form.hidden = true;
    quietUntil = 0;
    press("clear", { disposition: chosen.value, note: $("clear-note").value.trim() });
  });
  $("clear-cancel").addEventListener("click", function () { form.hidden = true; });

  var language = $("language");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
    $("language-switch").hidden = true;
  }
  $("sign-out").addEventListener("submit", function (e) {
    if (loadQueue().length && !window.confirm(text.sign_out_pending)) { e.preventDefault(); return; }
    if (window.caches) {  // the page kept for offline use shows the crew's work: not after sign-out
      e.preventDefault();
      var signOut = e.target;
      caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("precinct-crew-") === 0; })
          .map(function (k) { return caches.delete(k); }));
      }).catch(noop).then(function () { signOut.submit(); });
    }
  });

  window.addEventListener("online", function () { flush(); refresh(); });
  window.addEventListener("storage", function (e) { if (e.key === QUEUE) render(); });
  setInterval(function () { if (loadQueue().length) flush(); }, cfg.retry_seconds * 1000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.sw_url, { scope: cfg.scope }).catch(noop);
  }
  render();
  watch();
  listen();
  refresh();
  flush();
})();
