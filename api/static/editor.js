// The campaign editor: the preview of the text follows what staff type. The server
// renders it, with the same sanitiser as the public page, so what is shown here is what
// the page will show. Without this file the form's Preview button renders it instead.
(function () {
  "use strict";

  var WAIT_MS = 400; // after the last keystroke, so a burst of typing costs one request

  var preview = document.querySelector("[data-text-preview]");
  if (!preview || !window.fetch || !window.FormData || !window.DOMParser) return;
  var form = preview.closest("form");
  var text = form && form.elements.namedItem("body_markdown");
  var csrf = form && form.elements.namedItem("csrf_token");
  if (!text || !csrf) return;
  var status = document.querySelector("[data-text-preview-status]");
  var button = form.querySelector("[data-preview-button]");
  var timer = null;
  var asked = 0; // the newest request: an older answer arriving late is dropped

  // Where the text ends up, as the page holding the preview words it.
  var shownAs = (status && status.getAttribute("data-shown-as")) || "As the public page will show it.";

  function say(message) {
    if (status) status.textContent = message;
  }

  function show(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").body;
    while (preview.firstChild) preview.removeChild(preview.firstChild);
    while (fresh.firstChild) preview.appendChild(document.adoptNode(fresh.firstChild));
  }

  function refresh() {
    var request = ++asked;
    var data = new FormData();
    data.append("csrf_token", csrf.value);
    data.append("body_markdown", text.value);
    fetch(preview.getAttribute("data-text-preview"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (answer) {
        if (!answer.ok) throw new Error("preview refused: " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        if (request !== asked) return;
        show(html);
        say(shownAs + " Updated as you type; not saved yet.");
      })
      .catch(function () {
        if (request !== asked) return;
        say("The preview could not be updated. Save, or reload the page, to see it.");
        if (button) button.hidden = false;
      });
  }

  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, WAIT_MS);
  });
  // The preview keeps up by itself: the button for it is only for pages without script.
  if (button) button.hidden = true;
  say(shownAs + " Updated as you type.");
})();
