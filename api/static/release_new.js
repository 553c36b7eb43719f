// The new-release form: when text is pasted or a file chosen, the title is filled in
// with the release's headline, as the server will choose it (it is asked, so the rule
// lives in one place). A title staff typed themselves is never replaced. Without this
// file the form works the same: a title left empty is the headline.
(function () {
  "use strict";

  var form = document.getElementById("new-release-form");
  if (!form || !window.fetch || !window.FormData) return;
  var title = form.elements.namedItem("title");
  var content = form.elements.namedItem("content");
  var format = form.elements.namedItem("format");
  var file = form.elements.namedItem("file");
  var said = document.getElementById("title-suggested");
  // A title already in the field (a refused form shown back) is staff's own.
  var typed = title.value !== "";
  var suggested = null;
  var asked = 0;
  var waiting = null;

  function show(headline) {
    suggested = headline;
    title.value = headline || "";
    said.textContent = headline
      ? "Filled in from the release's headline; change it if you like."
      : "No headline found: give the release a title, or leave it without one.";
  }

  function suggest() {
    if (typed) return;
    var hasFile = file.files && file.files.length > 0;
    if (!hasFile && content.value.trim() === "") {
      if (suggested !== null) show(null);
      return;
    }
    var body = new FormData();
    body.append("csrf_token", form.elements.namedItem("csrf_token").value);
    if (hasFile) {
      body.append("file", file.files[0]);
    } else {
      body.append("content", content.value);
      body.append("format", format.value);
    }
    var ask = ++asked;
    fetch("/staff/releases/headline", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (answer) {
        // A file or text the server refuses: it says why when the form is sent.
        return answer.ok ? answer.json() : null;
      })
      .then(function (answer) {
        if (answer && ask === asked && !typed) show(answer.title);
      })
      .catch(function () {});
  }

  function soon() {
    window.clearTimeout(waiting);
    waiting = window.setTimeout(suggest, 400);
  }

  title.addEventListener("input", function () {
    typed = title.value !== "" && title.value !== suggested;
  });
  content.addEventListener("input", soon);
  format.addEventListener("change", suggest);
  file.addEventListener("change", suggest);
  // Text already there before this ran (pasted while the page loaded, or restored by
  // the browser on going back) is asked about as if it had just been typed.
  if (content.value.trim() !== "" || (file.files && file.files.length > 0)) suggest();
})();
