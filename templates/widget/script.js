/* Status notice embed: <script src="https://STATUS_HOST/embed/script.js" async></script>
 *
 * While an incident or maintenance is active, shows it in a small iframe in a corner of the
 * page; shows nothing otherwise. It adds one <iframe> element and nothing else to the host
 * page (no stylesheet, no cookies, no globals), polls a small cached JSON document, and keeps
 * dismissals per incident in localStorage.
 *
 * Optional attributes on the script tag:
 *   data-corner="bottom-right|bottom-left|top-right|top-left"
 *   data-poll-seconds="60"
 */
(function () {
  "use strict";
  var config = {{ config|tojson }};
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  // The page's address: the script's origin, and the page prefix (/p/<slug>) it was served under.
  var origin = new URL(script.src, document.baseURI).origin;
  var base = origin + config.prefix;
  var corner = script.getAttribute("data-corner");
  if (config.corners.indexOf(corner) < 0) corner = config.corner;
  var poll = parseInt(script.getAttribute("data-poll-seconds"), 10);
  if (!(poll >= 1)) poll = config.poll;
  var storageKey = "statuspage-widget:dismissed:" + base;
  var frame = null;
  var shown = null;
  var lastState = null;

  function dismissed() {
    try {
      var list = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];  // storage blocked (privacy mode, sandbox): dismissal lasts for this page view
    }
  }

  var dismissedHere = [];

  function dismiss(id) {
    dismissedHere.push(id);
    var list = dismissed().filter(function (x) { return x !== id; });
    list.push(id);
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(list.slice(-50)));
    } catch (e) { /* see dismissed() */ }
  }

  function important(element, styles) {
    // Inline !important declarations: host stylesheets (e.g. `iframe { width: 100% }`)
    // cannot move or resize the notice.
    for (var name in styles) element.style.setProperty(name, styles[name], "important");
  }

  function remove() {
    if (frame && frame.parentNode) frame.parentNode.removeChild(frame);
    frame = null;
    shown = null;
  }

  function show(notice) {
    var src = base + "/embed/frame?id=" + encodeURIComponent(notice.id) +
      "&v=" + encodeURIComponent(notice.updated_at);
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = "Service status notice";
      frame.setAttribute("data-statuspage-widget", "");
      var vertical = corner.split("-")[0], horizontal = corner.split("-")[1];
      var styles = {
        position: "fixed", width: "320px", height: "140px", "max-width": "calc(100vw - 32px)",
        border: "0", margin: "0", padding: "0", "z-index": "2147483000", display: "block",
        "border-radius": "8px", "box-shadow": "0 4px 16px rgba(0,0,0,.2)",
        background: "transparent", "color-scheme": "normal"
      };
      styles[vertical] = "16px";
      styles[horizontal] = "16px";
      important(frame, styles);
      document.body.appendChild(frame);
    }
    if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
    shown = notice.id;
  }

  function render(state) {
    lastState = state;
    var gone = dismissed().concat(dismissedHere);
    var notices = (state && state.notices) || [];
    var next = notices.filter(function (n) { return gone.indexOf(n.id) < 0; })[0];
    if (next) show(next); else remove();
  }

  function tick() {
    // no-cache: revalidate with the ETag every time, so a poll is a cheap 304 and a new
    // incident shows within one poll period rather than after the browser cache expires.
    window.fetch(base + "/embed/state.json", { credentials: "omit", cache: "no-cache" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) { if (state) render(state); })
      .catch(function () { /* keep what is shown; try again next period */ })
      .then(function () { window.setTimeout(tick, poll * 1000); });
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data || {};
    if (data.source !== "statuspage-widget") return;
    if (data.type === "dismiss" && data.id === shown) {
      dismiss(data.id);
      render(lastState);
    } else if (data.type === "height" && data.height > 0) {
      important(frame, { height: Math.min(Math.ceil(data.height), 400) + "px" });
    }
  });

  if (document.body) tick();
  else document.addEventListener("DOMContentLoaded", tick);
})();
