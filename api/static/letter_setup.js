// The letter setup page: the directory search lists its matches as staff type, asking
// the server for the same results the page shows after a search is sent. Everything
// works without this file: the search form is sent as it is.
(function () {
  "use strict";

  var form = document.getElementById("official-search");
  var results = document.getElementById("official-results");
  if (!form || !results) return;
  var input = form.elements.namedItem("q");
  var resultsUrl = form.getAttribute("data-results");
  var waiting = null;
  var latest = 0;

  function search() {
    var asked = ++latest;
    var url = resultsUrl + "?" + new URLSearchParams({ q: input.value.trim() }).toString();
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("search answered " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        // An older answer arriving late must not replace a newer one.
        if (asked === latest) results.innerHTML = html;
      })
      .catch(function () {
        // The Search button still sends the form; nothing to do here.
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(waiting);
    waiting = window.setTimeout(search, 250);
  });
})();
