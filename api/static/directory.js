// The import forms of the officials directory: a bar shows the upload going, then the
// server's page (the report, or the form with why the file was refused) takes the place
// of this one's content. Without this file the forms post as usual and show the same.
(function () {
  "use strict";

  if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;

  function describedBy(input, id, present) {
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids = ids.filter(function (other) { return other !== id; });
    if (present) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function showFileError(form, message) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector('[data-error-for="file"]');
    if (!input || !error) return;
    error.querySelector(".message").textContent = message;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    describedBy(input, error.id, true);
    input.focus();
  }

  function clearFileError(form) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector('[data-error-for="file"]');
    if (!input || !error) return;
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    describedBy(input, error.id, false);
  }

  function sentence(text) {
    text = String(text).trim();
    if (!text) return text;
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  // The server's answer is a whole page: its main content replaces this page's, where
  // focus goes to the report's heading or to the field the server refused.
  function showPage(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var main = answer.getElementById("main");
    var current = document.getElementById("main");
    if (!main || !current) return false;
    current.replaceWith(document.adoptNode(main));
    document.title = answer.title;
    var focus = document.querySelector("#main [aria-invalid=true], #main h1[tabindex]");
    if (focus) focus.focus();
    return true;
  }

  function upload(form) {
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var said = box.querySelector("[data-progress-text]");
    var button = form.querySelector("button[type=submit]");

    function done() {
      box.hidden = true;
      button.disabled = false;
    }

    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      said.textContent = "Uploading: " + percent + "%";
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      said.textContent = "Uploaded; importing the rows…";
    });
    request.addEventListener("load", function () {
      var type = request.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0 && showPage(request.responseText)) return;
      // A refusal before the page was reached (a body too large, an expired form) is
      // problem+json: its detail is said beside the file.
      var detail = "The server refused the file (status " + request.status + ")";
      try {
        var problem = JSON.parse(request.responseText);
        if (problem && problem.detail) detail = problem.detail;
      } catch (ignored) {
        // Not JSON: the status says enough.
      }
      done();
      showFileError(form, sentence(detail));
    });
    request.addEventListener("error", function () {
      done();
      showFileError(form, "The upload did not reach the server. Check the connection and send it again.");
    });

    clearFileError(form);
    bar.value = 0;
    said.textContent = "Uploading…";
    box.hidden = false;
    button.disabled = true;
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload")) return;
    if (!form.querySelector(".upload-progress")) return;
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var most = input ? Number(input.getAttribute("data-max-bytes")) : 0;
    if (file && most && file.size > most) {
      // Said before the upload, not after minutes of it.
      showFileError(form, "The file must be at most " + Math.floor(most / 1048576) + " MiB.");
      return;
    }
    // Without a file the server says so beside the field, as it does without script.
    upload(form);
  });
})();
