// Progressive enhancement only: every form works without this file.
// 1) Live Markdown preview: forms with data-preview-url send their textarea[data-preview] text
//    to the preview endpoint (which returns sanitised HTML) and show the result.
// 2) A confirmation before destructive buttons (class "danger"; data-confirm gives the question).
// 3) "This will notify: …" lines (p[data-reach-url]) recount when the chosen components change.
// 4) A running import's status block ([data-refresh-seconds]) reloads itself until it is done.
// 5) Read-only fields marked data-select-on-focus (a new API key) select their whole value on
//    click, ready to copy.
// 6) Keys: Ctrl/Cmd+Enter submits the form being typed in; "d" (outside a field) opens
//    "Declare an incident" where the page offers it (a[data-shortcut="d"]).
// 8) "The public page will read …" (p[data-banner-url]) follows the form's status choices.
// 9) "What subscribers will receive" ([data-subscriber-preview], the postmortem form): the
//    panel is fetched again as the text changes, and the email's frame takes its content's
//    height. Its "Preview" button (which without this file posts the form) does the same.
// 7) Two time zones: times (time[data-local]) are restated in the reader's zone with the page's
//    beside them, and each datetime input (entered in the page's zone) shows, live, the same
//    instant in the reader's zone. The server renders and parses page-zone times only.
// No inline handlers (onclick=…) anywhere: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Both previews (the Markdown one and the subscriber one) post the text being typed as
  // "body", with the form's CSRF token; the promise gives the answer's HTML, or "" when the
  // server refused it. The caller decides what a failure leaves on screen.
  function postPreview(url, form, text) {
    var body = new URLSearchParams();
    body.set("body", text);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form) },
      body: body,
    }).then(function (response) { return response.ok ? response.text() : ""; });
  }

  // Calls `refresh` once typing in `textarea` has paused for `delay` ms.
  function afterTyping(textarea, delay, refresh) {
    var timer = null;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, delay);
    });
  }

  function wirePreview(form) {
    var url = form.getAttribute("data-preview-url");
    var textarea = form.querySelector("textarea[data-preview]");
    var target = form.querySelector("[data-preview-target]");
    if (!url || !textarea || !target) return;
    function refresh() {
      postPreview(url, form, textarea.value)
        .then(function (html) { if (html) target.innerHTML = html; })
        .catch(function () { /* the preview is a convenience; posting still works */ });
    }
    afterTyping(textarea, 300, refresh);
    if (textarea.value) refresh();
  }

  // Whether a field whose name passes `wanted` holds other than what the server rendered: a
  // choice made before this script ran (a fast hand on a slow link, or the browser restoring
  // the form on "back") fired no change event anyone heard.
  function changedBeforeWiring(form, wanted) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (!wanted(field.name || "")) return false;
      if (field.tagName === "SELECT") {
        return Array.prototype.some.call(field.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      return false;
    });
  }

  function wireReach(line) {
    var form = line.closest("form");
    if (!form) return;
    function chosen() {
      var ids = [];
      form.querySelectorAll("select[name^=component_]").forEach(function (select) {
        // A blank choice under a "whole group" status takes the group's.
        var group = select.closest("fieldset.components");
        var whole = group && group.querySelector("select[name^=group_]");
        if (select.value || (whole && whole.value)) {
          ids.push(select.name.slice("component_".length));
        }
      });
      form.querySelectorAll("input[name=components]:checked").forEach(function (box) {
        ids.push(box.value);
      });
      return ids;
    }
    // Only the latest answer is shown: two quick choices can answer out of order.
    var asked = 0;
    function refresh() {
      var ask = ++asked;
      var query = new URLSearchParams();
      query.set("kind", line.getAttribute("data-reach-kind"));
      chosen().forEach(function (id) { query.append("components", id); });
      var incident = line.getAttribute("data-reach-incident");
      if (incident) query.set("incident", incident);
      if (line.hasAttribute("data-reach-all-only")) query.set("all_only", "1");
      fetch(line.getAttribute("data-reach-url") + "?" + query.toString(), {
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || !data.text || ask !== asked) return;
          (line.querySelector("[data-reach-text]") || line).textContent = data.text;
        })
        .catch(function () { /* the server-rendered figure stays */ });
    }
    function reachField(name) {
      return name === "components" || name.indexOf("component_") === 0;
    }
    form.addEventListener("change", function (event) {
      if (reachField(event.target.name || "")) refresh();
    });
    if (changedBeforeWiring(form, reachField)) refresh();
  }

  function wireRefresh(block) {
    var seconds = parseInt(block.getAttribute("data-refresh-seconds"), 10);
    if (!(seconds > 0)) return;
    setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .querySelector("[data-import-status]");
          if (!fresh) return;
          block.replaceWith(fresh);
          wireRefresh(fresh);
        })
        .catch(function () { wireRefresh(block); });
    }, seconds * 1000);
  }

  var PARTS = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23" };

  function wall(instant, zone) {
    var out = {};
    new Intl.DateTimeFormat("en-US", Object.assign({ timeZone: zone, second: "2-digit" }, PARTS))
      .formatToParts(instant).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function zoneName(instant, zone) {
    var part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
      .formatToParts(instant).filter(function (p) { return p.type === "timeZoneName"; })[0];
    return part ? part.value : zone;
  }

  function show(instant, zone) {
    var w = wall(instant, zone);
    return w.year + "-" + w.month + "-" + w.day + " " + w.hour + ":" + w.minute + " " +
      zoneName(instant, zone);
  }

  // Minutes the zone's clocks are ahead of UTC at this instant.
  function offset(ms, zone) {
    var w = wall(new Date(ms), zone);
    return (Date.UTC(+w.year, w.month - 1, +w.day, +w.hour, +w.minute, +w.second) - ms) / 60000;
  }

  // The instant a page-zone wall time names (the later offset wins across a change).
  function instantOf(value, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    var guess = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
    var ms = guess - offset(guess, zone) * 60000;
    var again = guess - offset(ms, zone) * 60000;
    return new Date(again);
  }

  function wireZones() {
    var page = document.body.getAttribute("data-page-zone");
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!page || !mine) return;
    var differ = page !== mine;
    if (differ) {
      document.querySelectorAll("time[data-local]").forEach(function (el) {
        var instant = new Date(el.getAttribute("datetime"));
        if (isNaN(instant)) return;
        var original = el.textContent;
        el.textContent = show(instant, mine);
        var note = document.createElement("span");
        note.className = "page-time";
        note.textContent = "(page: " + original + ")";
        el.after(note);
      });
    }
    document.querySelectorAll("input[type=datetime-local]").forEach(function (input) {
      var hint = document.createElement("span");
      hint.className = "zones";
      hint.setAttribute("aria-live", "polite");
      input.after(hint);
      function refresh() {
        var instant = instantOf(input.value, page);
        if (!instant) { hint.textContent = "Page time zone: " + page + "."; return; }
        hint.textContent = show(instant, page) + (differ ? " = " + show(instant, mine) +
          " in your zone (" + mine + ")" : " (your zone too)");
      }
      input.addEventListener("input", refresh);
      refresh();
    });
  }

  function wireBanner(line) {
    var form = line.closest("form");
    if (!form) return;
    function bannerField(name) {
      return /^(component_|group_|impact_override$)/.test(name);
    }
    var asked = 0; // only the latest answer is shown
    function refresh() {
      var ask = ++asked;
      var base = line.getAttribute("data-banner-url");
      var query = new URLSearchParams(base.split("?")[1] || "");
      new FormData(form).forEach(function (value, key) {
        if (bannerField(key) && value) query.set(key, value);
      });
      fetch(base.split("?")[0] + "?" + query.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("p");
          if (fresh && ask === asked) line.innerHTML = fresh.innerHTML;
        })
        .catch(function () { /* the server-rendered line stays */ });
    }
    form.addEventListener("change", function (event) {
      if (bannerField(event.target.name || "")) refresh();
    });
    if (changedBeforeWiring(form, bannerField)) refresh();
  }

  function fitFrame(frame) {
    // Same origin (the sandbox keeps it, and allows no script in the frame): read its height.
    function fit() {
      // The body's height, not the root's: the root is never shorter than the frame, so a
      // frame could grow but never shrink back.
      var doc = frame.contentDocument;
      if (doc && doc.body) frame.style.height = doc.body.scrollHeight + 2 + "px";
    }
    frame.addEventListener("load", fit);
    // A narrower window reflows the email taller (and a wider one shorter).
    window.addEventListener("resize", function () {
      if (frame.isConnected) fit();
    });
    fit();
  }

  function wireSubscriberPreview(form) {
    var url = form.getAttribute("data-subscriber-preview-url");
    var textarea = form.querySelector("textarea[name=body]");
    var button = form.querySelector("[data-preview-button]");
    if (!url || !textarea) return;
    function refresh() {
      postPreview(url, form, textarea.value)
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .querySelector("[data-subscriber-preview]");
          var panel = form.querySelector("[data-subscriber-preview]");
          if (!fresh || !panel) return;
          var details = panel.querySelector("details");
          var freshDetails = fresh.querySelector("details");
          if (details && freshDetails) freshDetails.open = details.open;
          panel.replaceWith(fresh);
          var frame = fresh.querySelector("iframe.email-frame");
          if (frame) fitFrame(frame);
        })
        .catch(function () { /* the server-rendered panel stays */ });
    }
    afterTyping(textarea, 600, refresh);
    if (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        refresh();
      });
    }
  }

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function wireKeys() {
    document.addEventListener("keydown", function (event) {
      var form = event.target.form;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
        event.preventDefault();
        if (form.reportValidity()) form.requestSubmit();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      var link = document.querySelector('a[data-shortcut="' + event.key + '"]');
      if (link) {
        event.preventDefault();
        link.click();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireKeys();
    wireZones();
    document.querySelectorAll("p[data-banner-url]").forEach(wireBanner);
    document.querySelectorAll("[data-refresh-seconds]").forEach(wireRefresh);
    document.querySelectorAll("form[data-preview-url]").forEach(wirePreview);
    document.querySelectorAll("form[data-subscriber-preview-url]").forEach(wireSubscriberPreview);
    document.querySelectorAll("iframe.email-frame").forEach(fitFrame);
    document.querySelectorAll("p[data-reach-url]").forEach(wireReach);
    document.querySelectorAll("button.danger").forEach(function (button) {
      var question = button.getAttribute("data-confirm") || "Are you sure? This cannot be undone.";
      button.addEventListener("click", function (event) {
        if (!window.confirm(question)) event.preventDefault();
      });
    });
    document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
      function selectAll() { input.select(); }
      input.addEventListener("focus", selectAll);
      input.addEventListener("click", selectAll);
    });
  });
})();
