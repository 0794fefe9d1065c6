// "Copy" buttons for read-only fields (invite link, ready-made message). The Clipboard API
// where the browser allows it; else the field's text is selected, so a long press copies it.
// Without JavaScript the buttons stay hidden and the fields can still be selected by hand.
(function () {
  "use strict";
  function selectAll(field) {
    field.focus();
    field.select();
    try { field.setSelectionRange(0, field.value.length); } catch (error) { /* not a text field */ }
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!field) return;
    function say(key) { if (status) status.textContent = button.getAttribute(key) || ""; }
    function fallback() {
      selectAll(field);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      say(copied ? "data-copied" : "data-selected");
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { say("data-copied"); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
