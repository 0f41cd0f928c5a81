/* The crew terminal's service worker (scope /crew/): the page and its state network first, with
   the last copy kept for loading without a network; the local assets from the cache. Status
   steps, position pings (POST) and the live stream always go to the network. */
"use strict";
var CACHE = "precinct-crew-{{ version }}";
var PAGES = {{ pages|safe }};
var ASSETS = {{ assets|safe }};
var STREAM = {{ stream|safe }};

function keep(cache, url) {
  return fetch(url, { credentials: "same-origin" }).then(function (r) {
    if (r.ok && !r.redirected) return cache.put(url, r);
  }).catch(function () {});
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(ASSETS.concat(PAGES).map(function (url) { return keep(cache, url); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("precinct-crew-") === 0 && k !== CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCache(path) {
  return caches.open(CACHE).then(function (cache) { return cache.match(path); }).then(function (hit) {
    if (!hit) return Response.error();
    var headers = new Headers(hit.headers);
    headers.set("X-Crew-Cached", "1");  // the page knows a kept copy from a fresh one
    return hit.blob().then(function (body) {
      return new Response(body, { status: hit.status, statusText: hit.statusText, headers: headers });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === STREAM) return;
  if (PAGES.indexOf(url.pathname) !== -1) {
    event.respondWith(fetch(request).then(function (r) {
      if (r.ok && r.type === "basic" && !r.redirected) {
        var copy = r.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); }));
      }
      return r;
    }).catch(function () { return fromCache(url.pathname); }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) { return hit || fetch(request); });
    }));
  }
});
