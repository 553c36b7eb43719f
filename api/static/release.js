// The release page: a passage selected in the text fills the add-call form's offsets.
// Everything works without this file: staff paste the passage or type its offsets.
(function () {
  "use strict";

  var text = document.getElementById("release-text");
  var form = document.getElementById("add-call-form");
  if (!text || !form) return;
  var start = form.elements.namedItem("start");
  var end = form.elements.namedItem("end");
  var passage = form.elements.namedItem("sentence");
  var shown = document.getElementById("selection");

  // The server counts offsets in code points; a JavaScript string in UTF-16 units.
  function codePoints(value) {
    return Array.from(value).length;
  }

  // Offsets into the release's text: the text of the page's block up to a point in it.
  function offsetOf(node, offset) {
    var before = document.createRange();
    before.selectNodeContents(text);
    before.setEnd(node, offset);
    return codePoints(before.toString());
  }

  function fillFromSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    start.value = offsetOf(range.startContainer, range.startOffset);
    end.value = offsetOf(range.endContainer, range.endOffset);
    // The offsets name the passage; a pasted one as well would be refused as ambiguous.
    passage.value = "";
    shown.textContent = "Selected: " + range.toString();
    shown.hidden = false;
  }

  function forgetSelection() {
    start.value = "";
    end.value = "";
    shown.hidden = true;
  }

  document.addEventListener("selectionchange", fillFromSelection);
  passage.addEventListener("input", forgetSelection);
})();
