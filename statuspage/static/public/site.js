// Progressive enhancements for the public pages. Every page is complete without this file:
// times and days are rendered in the page's time zone (named) on the server, each uptime day
// carries its own summary, and the subscribe form shows the chosen channel's fields with CSS
// alone and expands chosen groups on the server. With it, one zone rules each view: the
// reader's (times, day headings, history months, uptime bars and calendars, "Today").
(function () {
  "use strict";

  // The page's language (its <html lang>) for every Intl format, and its words, which the
  // server writes into the page (#site-words); English where a word is missing.
  var LANG = document.documentElement.lang || "en";
  var WORDS = {};
  try { WORDS = JSON.parse(document.getElementById("site-words").textContent); } catch (e) { /* English */ }
  function word(key, english) { return WORDS[key] || english; }

  // Times in the reader's own zone.
  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var fmt = new Intl.DateTimeFormat(LANG, {
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
    if (note && zone) {
      note.textContent = word("zoneNote", "Times are shown in your time zone, %(zone)s.").replace("%(zone)s", zone);
    }
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

  // ---- Days in the reader's zone ---------------------------------------------------------
  // A Date built from (year, month, day) is the reader's local midnight, DST included: days
  // are counted by those midnights, never by adding 24 hours.
  var DAY = new Intl.DateTimeFormat(LANG, { year: "numeric", month: "short", day: "numeric" });
  var LONG_DAY = new Intl.DateTimeFormat(LANG, {
    weekday: "short", year: "numeric", month: "short", day: "numeric"
  });
  var MONTH = new Intl.DateTimeFormat(LANG, { year: "numeric", month: "long" });
  var KINDS = [["M", word("major_outage", "Major outage"), "major_outage", "\u2715"],
    ["P", word("partial_outage", "Partial outage"), "partial_outage", "\u25c6"],
    ["D", word("degraded_performance", "Degraded performance"), "degraded_performance", "\u25b2"]];

  function midnight(when) { return new Date(when.getFullYear(), when.getMonth(), when.getDate()); }
  function addDays(day, n) { return new Date(day.getFullYear(), day.getMonth(), day.getDate() + n); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // The same words as the server's duration filter: "4 min", "1 h 5 min", "no downtime".
  // In other languages, Intl's short units (CLDR's words and plurals, as Babel's).
  function unit(n, name) {
    return new Intl.NumberFormat(LANG, { style: "unit", unit: name, unitDisplay: "short" }).format(n);
  }
  function duration(seconds) {
    var minutes = Math.round((seconds || 0) / 60);
    if (minutes <= 0) return seconds ? word("under1", "under 1 min") : word("noDowntimeShort", "no downtime");
    var h = Math.floor(minutes / 60), m = minutes % 60;
    if (LANG !== "en") return [h ? unit(h, "hour") : "", m ? unit(m, "minute") : ""].join(" ").trim();
    if (!h) return m + " min";
    return m ? h + " h " + m + " min" : h + " h";
  }

  // The same figure as the server's: two decimals, rounded down, "no data yet" without data.
  function figure(days) {
    var tracked = 0, down = 0;
    for (var i = 0; i < days.length; i++) { tracked += days[i].tracked; down += days[i].down; }
    if (tracked <= 0) return word("noDataYet", "no data yet");
    var floored = Math.floor(100 * (1 - down / tracked) * 100 + 1e-9) / 100;
    return new Intl.NumberFormat(LANG, {
      style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2
    }).format(floored / 100);
  }

  function uptimeWords(fig, n) {
    if (n === 90 && WORDS.uptime90) return WORDS.uptime90.replace("%(figure)s", fig);
    return fig + " uptime, last " + n + " days";
  }

  // One bar's or calendar's moments (data-since, data-from, data-down, hidden incident links)
  // and the page's rules (data-weights, data-levels on an ancestor).
  function readSource(host) {
    var rules = host.closest("[data-levels]");
    var weights = (rules.getAttribute("data-weights") || "0 0").split(" ");
    var src = {
      weights: { M: 1, P: +weights[0] || 0, D: +weights[1] || 0 },
      levels: rules.getAttribute("data-levels").split(" ").map(Number),
      since: +host.getAttribute("data-since") * 1000,
      from: +host.getAttribute("data-from") * 1000,
      down: [], refs: []
    };
    var parts = (host.getAttribute("data-down") || "").split(";");
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i].split(",");
      if (p.length === 3) src.down.push({ from: +p[0] * 1000, to: p[1] ? +p[1] * 1000 : null, kind: p[2] });
    }
    var links = host.querySelectorAll(".refs a[data-span]");
    for (var j = 0; j < links.length; j++) {
      var span = links[j].getAttribute("data-span").split(" ");
      src.refs.push({ link: links[j], from: +span[0] * 1000, to: span[1] ? +span[1] * 1000 : null });
    }
    return src;
  }

  // A day by the server's rules: tracked time, each outage type's seconds, weighted downtime,
  // colour level, the incidents open on it.
  function dayStats(src, day, now) {
    var lo = day.getTime(), end = addDays(day, 1).getTime(), hi = Math.min(end, now);
    var s = { day: day, future: lo > now, hasData: false, M: 0, P: 0, D: 0, tracked: 0, down: 0,
      level: null, refs: [] };
    if (s.future) return s;
    for (var r = 0; r < src.refs.length; r++) {
      var ref = src.refs[r];
      if (ref.from < end && (ref.to === null ? now : ref.to) >= lo) s.refs.push(ref.link);
    }
    var from = Math.max(lo, src.since);
    s.hasData = hi > from && lo >= src.from;
    if (!s.hasData) return s;
    s.tracked = (hi - from) / 1000;
    for (var i = 0; i < src.down.length; i++) {
      var seg = src.down[i];
      var a = Math.max(seg.from, from), b = Math.min(seg.to === null ? now : seg.to, hi);
      if (b > a) s[seg.kind] += (b - a) / 1000;
    }
    s.down = s.M + s.P * src.weights.P + s.D * src.weights.D;
    s.level = 0;
    for (var t = 0; t < src.levels.length; t++) if (s.down / 60 > src.levels[t]) s.level++;
    return s;
  }

  function dayClass(s) {
    if (s.future) return "future";
    return s.hasData ? "l" + s.level : "nodata";
  }

  // A focusable day: its date for assistive technology, its numbers for the tooltip.
  function dayCell(tag, s, number) {
    var cell = el(tag, dayClass(s));
    if (number) cell.appendChild(el("span", null, String(s.day.getDate()))).setAttribute("aria-hidden", "true");
    cell.appendChild(el("span", "sr-only", DAY.format(s.day)));
    cell.tabIndex = -1;
    cell.dayStats = s;
    return cell;
  }

  function drawBar(host, now) {
    var src = readSource(host), ol = host.querySelector("ol.bars");
    var n = ol.children.length, today = midnight(new Date(now)), days = [];
    ol.textContent = "";
    for (var i = n - 1; i >= 0; i--) {
      var s = dayStats(src, addDays(today, -i), now);
      days.push(s);
      ol.appendChild(dayCell("li", s, false));
    }
    ol.lastChild.tabIndex = 0;  // one stop per bar: today; arrows move along it
    var shown = host.querySelector(".figure");
    if (shown) shown.textContent = uptimeWords(figure(days), n);
  }

  // Three months ending with the reader's, oldest first, weeks from Monday, as the server
  // draws them.
  function drawCalendars(host, now) {
    var src = readSource(host), box = host.querySelector(".cals");
    var old = box.querySelectorAll("table.cal"), head = old[0].tHead.cloneNode(true);
    var today = midnight(new Date(now)), count = old.length, todayCell = null;
    box.textContent = "";
    for (var m = count - 1; m >= 0; m--) {
      var first = new Date(today.getFullYear(), today.getMonth() - m, 1);
      var table = el("table", "cal"), body = el("tbody");
      table.appendChild(el("caption", null, MONTH.format(first)));
      table.appendChild(head.cloneNode(true));
      var next = new Date(first.getFullYear(), first.getMonth() + 1, 1);
      var day = addDays(first, -((first.getDay() + 6) % 7));  // the Monday of the 1st's week
      while (day < next) {
        var row = body.appendChild(el("tr"));
        for (var c = 0; c < 7; c++, day = addDays(day, 1)) {
          if (day.getMonth() !== first.getMonth()) { row.appendChild(el("td")); continue; }
          var cell = row.appendChild(dayCell("td", dayStats(src, day, now), true));
          if (day.getTime() === today.getTime()) { cell.classList.add("today"); todayCell = cell; }
        }
      }
      table.appendChild(body);
      box.appendChild(table);
    }
    if (todayCell) todayCell.tabIndex = 0;
    var shown = host.querySelector(".figure");
    if (shown) {
      var days = [];
      for (var k = 89; k >= 0; k--) days.push(dayStats(src, addDays(today, -k), now));
      shown.textContent = uptimeWords(figure(days), 90);
    }
  }

  // The tooltip: one element, role=tooltip, shown by the hovered, focused or tapped day and
  // referenced by its aria-describedby. Under a bar it takes its own space below the bar
  // (covering nothing); over a calendar it floats below the day.
  var tip = el("div", "day-tip");
  tip.id = "day-tip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  var current = null, hideTimer = null;

  function fillTip(s) {
    tip.textContent = "";
    tip.appendChild(el("p", "tip-day", LONG_DAY.format(s.day)));
    var list = el("ul", "tip-kinds");
    if (s.future) list.appendChild(el("li", null, word("notYet", "Not yet")));
    else if (!s.hasData) list.appendChild(el("li", null, word("noData", "No data")));
    else {
      for (var i = 0; i < KINDS.length; i++) {
        if (!s[KINDS[i][0]]) continue;
        var item = el("li", "st-" + KINDS[i][2]);
        item.appendChild(el("span", "icon", KINDS[i][3])).setAttribute("aria-hidden", "true");
        item.appendChild(document.createTextNode(" " + KINDS[i][1] + " "));
        item.appendChild(el("b", null, duration(s[KINDS[i][0]])));
        list.appendChild(item);
      }
      if (!list.firstChild) list.appendChild(el("li", null, word("noDowntime", "No downtime")));
    }
    tip.appendChild(list);
    if (s.refs.length) {
      var refs = el("ul", "tip-refs");
      for (var j = 0; j < s.refs.length; j++) refs.appendChild(el("li")).appendChild(s.refs[j].cloneNode(true));
      tip.appendChild(el("p", "tip-head", s.refs.length === 1 ? word("incident", "Incident") : word("incidents", "Incidents")));
      tip.appendChild(refs);
    }
  }

  function placeTip(cell) {
    var bar = cell.closest(".uptime");
    var host = bar || cell.closest(".cals");
    tip.hidden = false;
    tip.classList.toggle("floating", !bar);
    if (bar) bar.insertBefore(tip, bar.querySelector("ol.bars").nextSibling);
    else host.appendChild(tip);
    tip.style.marginLeft = tip.style.left = tip.style.top = "";
    var box = host.getBoundingClientRect(), at = cell.getBoundingClientRect();
    var width = tip.offsetWidth, room = Math.min(box.width, document.documentElement.clientWidth - box.left);
    var left = Math.max(0, Math.min(at.left + at.width / 2 - box.left - width / 2, room - width));
    tip.style.setProperty("--caret", Math.round(at.left + at.width / 2 - box.left - left) + "px");
    if (bar) tip.style.marginLeft = left + "px";
    else {
      tip.style.left = left + "px";
      tip.style.top = Math.round(at.bottom - box.top + 6) + "px";
    }
  }

  function showTip(cell) {
    clearTimeout(hideTimer);
    if (current && current !== cell) current.removeAttribute("aria-describedby");
    current = cell;
    fillTip(cell.dayStats);
    cell.setAttribute("aria-describedby", tip.id);
    placeTip(cell);
  }

  function hideTip() {
    clearTimeout(hideTimer);
    if (current) current.removeAttribute("aria-describedby");
    current = null;
    tip.hidden = true;
  }

  function laterHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideTip, 300);
  }

  function dayOf(node) {
    var cell = node && node.closest ? node.closest("ol.bars > li, .cals td") : null;
    return cell && cell.dayStats ? cell : null;
  }

  // Arrow keys move along a bar (a day) or a calendar (a day, a week); Home/End to its ends.
  function moveFocus(cell, key) {
    var group = cell.closest(".uptime, .cals"), cells = [], all = group.querySelectorAll("li, td");
    for (var i = 0; i < all.length; i++) {
      if (all[i].dayStats && all[i].getClientRects().length) cells.push(all[i]);
    }
    var at = cells.indexOf(cell), step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[key];
    var to = key === "Home" ? 0 : key === "End" ? cells.length - 1 : at + step;
    if (step && !cell.closest(".cals") && Math.abs(step) === 7) return false;
    if (!(to >= 0 && to < cells.length)) return true;
    cell.tabIndex = -1;
    cells[to].tabIndex = 0;
    cells[to].focus();
    return true;
  }

  function tipEvents() {
    document.addEventListener("mouseover", function (e) {
      var cell = dayOf(e.target);
      if (cell) showTip(cell);
      else if (tip.contains(e.target)) clearTimeout(hideTimer);
    });
    document.addEventListener("mouseout", function (e) {
      if ((dayOf(e.target) || tip.contains(e.target)) && document.activeElement !== current) laterHide();
    });
    document.addEventListener("focusin", function (e) {
      var cell = dayOf(e.target);
      if (cell) showTip(cell);
      else if (tip.contains(e.target)) clearTimeout(hideTimer);
      else if (current) hideTip();
    });
    document.addEventListener("click", function (e) {
      var cell = dayOf(e.target);
      if (cell) { cell.focus(); showTip(cell); }  // a tap on a touch screen
      else if (current && !tip.contains(e.target)) hideTip();
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && current) {
        if (tip.contains(document.activeElement)) current.focus();  // not lost with the tooltip
        hideTip();
        return;
      }
      var cell = dayOf(e.target);
      if (cell && /^(Arrow|Home$|End$)/.test(e.key) && moveFocus(cell, e.key)) e.preventDefault();
    });
  }

  // The past days of the front page: headed by the reader's days, each incident under the
  // reader's day it started on (earlier ones under the oldest day, as on the server).
  function regroupDays(list) {
    var n = +list.getAttribute("data-days"), items = list.querySelectorAll("p[data-at]");
    var today = midnight(new Date()), first = addDays(today, -(n - 1)).getTime();
    var byDay = {};
    for (var i = 0; i < items.length; i++) {
      var at = Math.max(+items[i].getAttribute("data-at") * 1000, first);
      var key = midnight(new Date(at)).getTime();
      (byDay[key] = byDay[key] || []).push(items[i]);
    }
    list.textContent = "";
    for (var d = 0; d < n; d++) {
      var day = addDays(today, -d), entry = list.appendChild(el("li"));
      entry.appendChild(el("h3", null, DAY.format(day)));
      var found = byDay[day.getTime()] || [];
      for (var j = 0; j < found.length; j++) entry.appendChild(found[j]);
      if (!found.length) entry.appendChild(el("p", "meta none", word("noIncidents", "No incidents reported.")));
    }
  }

  // History: each entry under the reader's month it started in; a month the page zone did
  // not head gets its own section, and one the reader has not reached yet goes.
  function regroupMonths() {
    var sections = document.querySelectorAll("section[data-month]");
    if (!sections.length) return;
    var parent = sections[0].parentNode, after = sections[sections.length - 1].nextSibling;
    var items = document.querySelectorAll("section[data-month] article[data-at]");
    var months = {}, keys = [];
    function keyOf(when) { return when.getFullYear() + "-" + ("0" + (when.getMonth() + 1)).slice(-2); }
    var thisMonth = keyOf(new Date());
    // The server's wording for an empty month (it differs when the history is filtered).
    var empty = document.querySelector(".month-empty");
    var emptyMonthText = empty ? empty.textContent : "No incidents or maintenance reported this month.";
    function month(key) {
      if (!months[key]) {
        var section = sections[0].cloneNode(false), parts = key.split("-");
        section.setAttribute("data-month", key);
        section.setAttribute("aria-labelledby", "m-" + key);
        var heading = el("h3", null, MONTH.format(new Date(+parts[0], +parts[1] - 1, 1)));
        heading.id = "m-" + key;
        section.appendChild(heading);
        months[key] = section;
        keys.push(key);
      }
      return months[key];
    }
    for (var s = 0; s < sections.length; s++) month(sections[s].getAttribute("data-month"));
    for (var i = 0; i < items.length; i++) {
      month(keyOf(new Date(+items[i].getAttribute("data-at") * 1000))).appendChild(items[i]);
    }
    for (var r = 0; r < sections.length; r++) parent.removeChild(sections[r]);
    keys.sort().reverse();
    for (var k = 0; k < keys.length; k++) {
      var section = months[keys[k]];
      if (!section.querySelector("article")) {
        if (keys[k] > thisMonth) continue;  // the page zone's new month, not yet the reader's
        section.appendChild(el("p", "meta month-empty", emptyMonthText));
      }
      parent.insertBefore(section, after);
    }
  }

  function readerDays() {
    var now = Date.now(), i;
    var bars = document.querySelectorAll(".uptime[data-since]");
    for (i = 0; i < bars.length; i++) drawBar(bars[i], now);
    var cals = document.querySelectorAll(".uptime-detail[data-since]");
    for (i = 0; i < cals.length; i++) drawCalendars(cals[i], now);
    if (bars.length || cals.length) tipEvents();
    var days = document.querySelectorAll("ol.days[data-days]");
    for (i = 0; i < days.length; i++) regroupDays(days[i]);
    regroupMonths();
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone, names = document.querySelectorAll("[data-zone]");
    for (i = 0; zone && i < names.length; i++) names[i].textContent = zone;
  }

  // Long-lived frames (/embed/status) reload themselves, unless the reader is in them.
  function refresh() {
    var seconds = parseInt(document.documentElement.getAttribute("data-refresh"), 10);
    if (!(seconds >= 5)) return;
    setInterval(function () {
      if (!document.hasFocus()) window.location.reload();
    }, seconds * 1000);
  }

  document.documentElement.classList.add("js");
  localTimes();
  if (window.Intl && Intl.DateTimeFormat) readerDays();
  // live.js replaces <main> with a fresh copy from the server, in the page zone again: its
  // times and days need restating.
  document.addEventListener("statuspage:refreshed", function () {
    localTimes();
    if (window.Intl && Intl.DateTimeFormat) readerDays();
  });
  refresh();
  var forms = document.querySelectorAll("form.subscribe-form, form.scope-form");
  for (var i = 0; i < forms.length; i++) {
    if (forms[i].classList.contains("subscribe-form")) channelFields(forms[i]);
    groupBoxes(forms[i]);
  }
})();
