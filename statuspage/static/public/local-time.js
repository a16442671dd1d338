// Progressive enhancement: times are rendered in the page's time zone (named) on the server;
// this rewrites them in the reader's own zone. Without JavaScript the page stays correct.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var nodes = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < nodes.length; i++) {
    var when = new Date(nodes[i].getAttribute("datetime"));
    if (isNaN(when.getTime())) continue;
    nodes[i].title = nodes[i].textContent + " (" + document.documentElement.dataset.tz + ")";
    nodes[i].textContent = fmt.format(when);
  }
  var note = document.getElementById("tz-note");
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (note && zone) note.textContent = "Times are shown in your time zone, " + zone + ".";
})();
