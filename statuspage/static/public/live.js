// Live pages (/, incidents, maintenance): the page refreshes itself in place.
//
// Every 60 s it asks the server whether its document changed, with a conditional GET
// (If-None-Match: the ETag it holds). The public read path answers that from its cache with
// a bodyless 304 when nothing changed, so an open tab costs a few hundred bytes a minute; on
// a 200 the new <main>, title and favicon replace the old ones, keeping open groups and focus.
// A note under the header says how fresh the page is ("Updated 12 s ago").
//
// The ETag of the document the browser loaded is not visible to scripts: a HEAD request
// learns the current one at start. If the document changed between the load and that HEAD
// (its Last-Modified is newer than the loaded one's), the page refreshes at once.
// Without this file the page is complete; it just does not refresh.
(function () {
  "use strict";

  var PERIOD_MS = 60 * 1000;
  var main = document.getElementById("main");
  if (!main || !main.hasAttribute("data-live") || !window.fetch || !window.DOMParser) return;

  // The page's language and its words (#site-words, see site.js); English where missing.
  var LANG = document.documentElement.lang || "en";
  var WORDS = {};
  try { WORDS = JSON.parse(document.getElementById("site-words").textContent); } catch (e) { /* English */ }
  function unit(n, name) {
    return new Intl.NumberFormat(LANG, { style: "unit", unit: name, unitDisplay: "short" }).format(n);
  }

  var etag = null;
  var checkedAt = Date.now(); // when the page was last known to be current
  var problem = "";
  var busy = false;

  var note = document.createElement("p");
  note.id = "live-note";
  note.className = "live-note meta";
  main.parentNode.insertBefore(note, main);

  // The same words as the server's duration(): "under 1 min", "4 min", "1 h 5 min".
  function duration(ms) {
    var minutes = Math.round(ms / 60000);
    if (minutes <= 0) return WORDS.under1 || "under 1 min";
    var hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (LANG !== "en") return [hours ? unit(hours, "hour") : "", minutes ? unit(minutes, "minute") : ""].join(" ").trim();
    if (!hours) return minutes + " min";
    return minutes ? hours + " h " + minutes + " min" : hours + " h";
  }

  function age(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    if (LANG !== "en" && seconds < 3600) {
      return seconds < 60 ? unit(seconds, "second") : unit(Math.floor(seconds / 60), "minute");
    }
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return duration(ms);
  }

  function showAge() {
    var updated = (WORDS.updated || "Updated %(age)s ago").replace("%(age)s", age(Date.now() - checkedAt));
    note.textContent = updated + (problem ? " · " + problem : "");
  }

  // Cached pages cannot say how long an open incident has lasted: it is filled in here.
  function showElapsed() {
    var nodes = main.querySelectorAll("[data-since]");
    for (var i = 0; i < nodes.length; i++) {
      var since = Date.parse(nodes[i].getAttribute("data-since"));
      if (isNaN(since)) continue;
      var prefix = nodes[i].getAttribute("data-prefix");
      if (prefix === null) {
        prefix = nodes[i].textContent.trim();
        nodes[i].setAttribute("data-prefix", prefix);
      }
      nodes[i].textContent = prefix + " for " + duration(Date.now() - since);
    }
  }

  function replace(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var fresh = next.getElementById("main");
    if (!fresh) throw new Error("no main element");
    var open = {};
    var details = main.querySelectorAll("details[id]");
    for (var i = 0; i < details.length; i++) open[details[i].id] = details[i].open;
    var focused = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : "";
    main.innerHTML = fresh.innerHTML;
    details = main.querySelectorAll("details[id]");
    for (var j = 0; j < details.length; j++) {
      if (Object.prototype.hasOwnProperty.call(open, details[j].id)) details[j].open = open[details[j].id];
    }
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    document.title = next.title;
    var icon = next.querySelector("link[rel=icon]");
    var current = document.querySelector("link[rel=icon]");
    if (icon && current) current.setAttribute("href", icon.getAttribute("href"));
    showElapsed();
    // site.js restates times in the reader's zone on this event (and other enhancements may).
    document.dispatchEvent(new CustomEvent("statuspage:refreshed"));
  }

  function fetched(response, method) {
    if (response.status === 304) {
      problem = "";
      return null;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    var stale = response.headers.get("X-Statuspage-Stale");
    problem = stale ? "live status is temporarily unavailable" : "";
    if (method === "HEAD") {
      var modified = Date.parse(response.headers.get("Last-Modified") || "");
      var loaded = Date.parse(document.lastModified);
      if (modified > loaded) return "changed";
      etag = response.headers.get("ETag");
      return null;
    }
    return response.text().then(function (html) {
      replace(html);
      etag = stale ? null : response.headers.get("ETag");
    });
  }

  // A public page is refreshed without cookies (nothing in it depends on them, and a shared
  // cache keeps serving it); an audience's page only shows to the signed-in reader.
  var credentials = main.hasAttribute("data-signed-in") ? "same-origin" : "omit";

  function check() {
    if (busy) return;
    busy = true;
    var method = etag ? "GET" : "HEAD";
    // Asked for by name: `/` answers some programs in Markdown (statuspage/public/negotiation.py).
    var headers = etag ? { "If-None-Match": etag, Accept: "text/html" } : { Accept: "text/html" };
    // no-store: the browser neither answers from its own cache nor swaps our 304 for a 200.
    fetch(window.location.href, { method: method, headers: headers, cache: "no-store", credentials: credentials })
      .then(function (response) { return fetched(response, method); })
      .then(function (result) {
        busy = false;
        if (result === "changed") {
          etag = null;
          return fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store", credentials: credentials })
            .then(function (response) { return fetched(response, "GET"); });
        }
      })
      .then(function () {
        if (!problem) checkedAt = Date.now();
        showAge();
      })
      .catch(function () {
        busy = false;
        problem = "could not refresh, retrying";
        showAge();
      });
  }

  setInterval(function () {
    if (!document.hidden) check();
  }, PERIOD_MS);
  // A tab in the background does not poll; back in front, it catches up at once if due.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() - checkedAt >= PERIOD_MS) check();
  });
  setInterval(function () {
    showAge();
    showElapsed();
  }, 1000);
  showAge();
  showElapsed();
  check();
})();
