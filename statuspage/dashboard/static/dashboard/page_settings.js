/* Page settings: the preview frame follows the form as the operator types, and the colour
   contrast warnings are restated live. Without this script, the "Preview" button sends the
   form to the frame and the warnings come with each page load. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 400;
  // Same thresholds as incidents/branding.py (MIN_CONTRAST_LIGHT, MIN_CONTRAST_DARK).
  var MIN_LIGHT = 4.5, MIN_DARK = 2.5;
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function luminance(hex) {
    var parts = [1, 3, 5].map(function (i) {
      var s = parseInt(hex.slice(i, i + 2), 16) / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2];
  }

  function ratio(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  function labelOf(input) {
    var label = document.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.replace(/:\s*$/, "") : input.name;
  }

  function warnings(form, box) {
    var light = box.dataset.light, dark = box.dataset.dark, out = [];
    form.querySelectorAll("input[data-color]").forEach(function (input) {
      var value = input.value.trim();
      if (!HEX.test(value)) return;
      var l = ratio(value, light), d = ratio(value, dark);
      if (l < MIN_LIGHT) {
        out.push(labelOf(input) + " " + value + ": contrast " + l.toFixed(1) +
          ":1 against the light background and white text (at least " + MIN_LIGHT + ":1 reads well).");
      }
      if (d < MIN_DARK) {
        out.push(labelOf(input) + " " + value + ": contrast " + d.toFixed(1) +
          ":1 against the dark background (at least " + MIN_DARK + ":1 reads well).");
      }
    });
    box.textContent = "";
    if (!out.length) return;
    var list = document.createElement("ul");
    list.className = "warn";
    out.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function swatches(form) {
    form.querySelectorAll("input[data-color]").forEach(function (input) {
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("aria-hidden", "true");
      input.insertAdjacentElement("afterend", swatch);
      function paint() {
        var value = input.value.trim();
        // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
        swatch.style.backgroundColor = HEX.test(value) ? value : "transparent";
        swatch.classList.toggle("empty", !HEX.test(value));
      }
      input.addEventListener("input", paint);
      paint();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("page-settings");
    var button = form && form.querySelector("[data-preview]");
    var box = document.getElementById("contrast-warnings");
    if (!form) return;
    swatches(form);
    if (box) {
      form.addEventListener("input", function (event) {
        if (event.target.matches("input[data-color]")) warnings(form, box);
      });
    }
    if (!button) return;
    // On a phone the frame is below the form: a press of "Preview" brings all of it into view.
    var pane = document.querySelector(".preview-pane");
    button.addEventListener("click", function () {
      if (pane && pane.getBoundingClientRect().bottom > window.innerHeight) pane.scrollIntoView();
    });
    var timer = null;
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(function () { form.requestSubmit(button); }, DEBOUNCE_MS);
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  });
})();
