// Enhancements for the public pages. Everything works without this file: it only keeps
// the count fresh, moves focus to a form's errors and adds a "Copy link" button.
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

  focusErrorSummary();
  refreshCounts();
  addCopyButtons();
})();
