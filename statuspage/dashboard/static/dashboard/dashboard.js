// Progressive enhancement only: every form works without this file.
// 1) Live Markdown preview: forms with data-preview-url send their textarea[data-preview] text
//    to the preview endpoint (which returns sanitised HTML) and show the result.
// 2) A confirmation before destructive buttons (class "danger").
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function wirePreview(form) {
    var url = form.getAttribute("data-preview-url");
    var textarea = form.querySelector("textarea[data-preview]");
    var target = form.querySelector("[data-preview-target]");
    if (!url || !textarea || !target) return;
    var timer = null;
    function refresh() {
      var body = new URLSearchParams();
      body.set("body", textarea.value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form) },
        body: body,
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { if (html) target.innerHTML = html; })
        .catch(function () { /* the preview is a convenience; posting still works */ });
    }
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    if (textarea.value) refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-preview-url]").forEach(wirePreview);
    document.querySelectorAll("button.danger").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm("Are you sure? This cannot be undone.")) event.preventDefault();
      });
    });
  });
})();
