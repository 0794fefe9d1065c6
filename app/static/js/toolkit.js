// My templates: a "Copy" button on every template, ready to paste into WeChat. Without this
// file the templates are plain text to select and copy.
(function () {
  "use strict";
  var page = document.querySelector(".toolkit");
  if (!page) return;
  var labels = page.dataset;

  function copyBySelecting(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  Array.prototype.forEach.call(page.querySelectorAll(".template-text"), function (text) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button copy-button";
    button.textContent = labels.copyLabel;
    button.setAttribute("aria-live", "polite");
    function say(value) {
      button.textContent = value;
      setTimeout(function () { button.textContent = labels.copyLabel; }, 2500);
    }
    button.addEventListener("click", function () {
      var fallback = function () {
        say(copyBySelecting(text) ? labels.copiedLabel : labels.copyFailedLabel);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text.textContent).then(function () {
          say(labels.copiedLabel);
        }, fallback);
      } else {
        fallback();
      }
    });
    text.parentNode.insertBefore(button, text.nextSibling);
  });
})();
