// Enhancements for the public pages. Everything works without this file: it only keeps
// the count fresh, moves focus to a form's errors, adds a "Copy link" button and finds a
// letter's officials without reloading the page.
(function () {
  "use strict";

  var REFRESH_SECONDS = 30;

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  function refreshCounts() {
    document.querySelectorAll("[data-count-source]").forEach(function (block) {
      var source = block.getAttribute("data-count-source");
      var count = block.querySelector("[data-count]");
      var progress = block.querySelector("[data-progress]");
      function update() {
        fetch(source, { headers: { Accept: "application/json" } })
          .then(function (answer) { return answer.ok ? answer.json() : null; })
          .then(function (campaign) {
            if (!campaign || !campaign.counts) return;
            var confirmed = campaign.counts.confirmed;
            if (count) count.textContent = confirmed.toLocaleString("en");
            if (progress) progress.value = Math.min(confirmed, Number(progress.max));
          })
          .catch(function () { /* the figure on the page stays; it was right when sent */ });
      }
      window.setInterval(update, REFRESH_SECONDS * 1000);
    });
  }

  function addCopyButtons() {
    document.querySelectorAll("input[data-copy]").forEach(function (input) {
      if (!navigator.clipboard) return;
      var button = document.createElement("button");
      var status = document.createElement("span");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Copy link";
      status.setAttribute("role", "status");
      status.className = "hint";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          status.textContent = "Link copied.";
        });
      });
      input.insertAdjacentElement("afterend", status);
      input.insertAdjacentElement("afterend", button);
    });
  }

  // The lookup asks the server for the same page it would have loaded and swaps in its
  // content: one rendering of officials and errors, in the templates, not here.
  function lookUpWithoutReload() {
    var form = document.querySelector("form[data-lookup]");
    if (!form || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = form.getAttribute("action").split("#")[0] + "?" + query;
      fetch(url, { headers: { Accept: "text/html" } })
        .then(function (answer) { return answer.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var main = document.getElementById("main");
          var content = fresh.getElementById("main");
          if (!main || !content) throw new Error("unexpected page");
          while (main.firstChild) main.removeChild(main.firstChild);
          while (content.firstChild) main.appendChild(document.adoptNode(content.firstChild));
          document.title = fresh.title;
          window.history.pushState(null, "", url + "#officials");
          var target = document.getElementById("error-summary")
            || document.getElementById("officials-heading");
          if (target) {
            target.setAttribute("tabindex", "-1");
            target.focus();
          }
          lookUpWithoutReload();
        })
        .catch(function () { form.submit(); });
    });
  }

  focusErrorSummary();
  refreshCounts();
  addCopyButtons();
  lookUpWithoutReload();
  // Back and forward after a lookup change the address; load what it names.
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
