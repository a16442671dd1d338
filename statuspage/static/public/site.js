// Progressive enhancements for the public pages. Every page is complete without this file:
// times are rendered in the page's time zone (named) on the server, and the subscribe form
// shows the chosen channel's fields with CSS alone and expands chosen groups on the server.
(function () {
  "use strict";

  // Times in the reader's own zone.
  function localTimes() {
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
  }

  // Only the chosen channel's fields are sent (a disabled fieldset submits nothing), and its
  // address becomes required, so the browser checks it before the round trip.
  function channelFields(form) {
    var radios = form.querySelectorAll("input[name=channel]");
    function apply() {
      var chosen = form.querySelector("input[name=channel]:checked");
      var sets = form.querySelectorAll(".channel-fields");
      for (var i = 0; i < sets.length; i++) {
        var on = chosen && sets[i].getAttribute("data-channel") === chosen.value;
        sets[i].disabled = !on;
        var address = sets[i].querySelector("[data-address]");
        if (address) address.required = !!on;
      }
    }
    for (var i = 0; i < radios.length; i++) radios[i].addEventListener("change", apply);
    apply();
  }

  // "Select group" checks every component of the group; the group box mirrors its members.
  function groupBoxes(form) {
    var groups = form.querySelectorAll(".group-choice");
    for (var i = 0; i < groups.length; i++) {
      (function (box) {
        var all = box.querySelector("input[name=groups]");
        var members = box.querySelectorAll(".members input[type=checkbox]");
        function mirror() {
          var on = 0;
          for (var j = 0; j < members.length; j++) if (members[j].checked) on++;
          all.checked = members.length > 0 && on === members.length;
          all.indeterminate = on > 0 && on < members.length;
        }
        all.addEventListener("change", function () {
          for (var j = 0; j < members.length; j++) members[j].checked = all.checked;
        });
        for (var j = 0; j < members.length; j++) members[j].addEventListener("change", mirror);
        mirror();
      })(groups[i]);
    }
  }

  // Long-lived frames (/embed/status) reload themselves, unless the reader is in them.
  function refresh() {
    var seconds = parseInt(document.documentElement.getAttribute("data-refresh"), 10);
    if (!(seconds >= 5)) return;
    setInterval(function () {
      if (!document.hasFocus()) window.location.reload();
    }, seconds * 1000);
  }

  localTimes();
  // live.js replaces <main> with a fresh copy from the server: its times need restating.
  document.addEventListener("statuspage:refreshed", localTimes);
  refresh();
  var forms = document.querySelectorAll("form.subscribe-form, form.scope-form");
  for (var i = 0; i < forms.length; i++) {
    if (forms[i].classList.contains("subscribe-form")) channelFields(forms[i]);
    groupBoxes(forms[i]);
  }
})();
