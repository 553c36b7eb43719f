// Enhancements for the public pages. Everything works without this file: it only keeps
// the count fresh, moves focus to a form's errors, adds a "Copy link" button, finds a
// letter's officials without reloading the page, and counts the view for staff.
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
            if (count) count.textContent = confirmed.toLocaleString(document.documentElement.lang || "en");
            if (progress) progress.value = Math.min(confirmed, Number(progress.max));
          })
          .catch(function () { /* the figure on the page stays; it was right when sent */ });
      }
      window.setInterval(update, REFRESH_SECONDS * 1000);
    });
  }

  // The button's words come from the page, in its language.
  function addCopyButtons() {
    document.querySelectorAll("input[data-copy]").forEach(function (input) {
      if (!navigator.clipboard) return;
      var button = document.createElement("button");
      var status = document.createElement("span");
      button.type = "button";
      button.className = "secondary";
      button.textContent = input.getAttribute("data-copy-label") || "Copy link";
      status.setAttribute("role", "status");
      status.className = "hint";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          status.textContent = input.getAttribute("data-copied") || "Link copied.";
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

  // One anonymous page view for the staff funnel, with where the visitor came from.
  // A script, not the page request, so that crawlers and prefetches are not counted.
  function countThisView() {
    var marker = document.querySelector("[data-views]");
    if (!marker || !window.fetch || !window.URLSearchParams) return;
    var query = new URLSearchParams(window.location.search);
    var tracking = {};
    [["utm_source", "source"], ["utm_medium", "medium"], ["utm_campaign", "campaign"]]
      .forEach(function (pair) {
        var value = query.get(pair[0]);
        if (value) tracking[pair[1]] = value.slice(0, 200);
      });
    if (document.referrer) tracking.referrer = document.referrer.slice(0, 500);
    fetch(marker.getAttribute("data-views"), {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(tracking)
    }).catch(function () { /* a view not counted changes nothing for the visitor */ });
  }

  focusErrorSummary();
  countThisView();
  refreshCounts();
  addCopyButtons();
  lookUpWithoutReload();
  // Back and forward after a lookup change the address; load what it names.
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
