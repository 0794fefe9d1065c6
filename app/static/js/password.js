// Show/hide buttons for password boxes. The field macro renders each button hidden, beside its
// box (aria-controls); this script shows and wires it. Without JavaScript the box simply stays
// a password box and every form works the same.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.password-toggle[aria-controls]");
  Array.prototype.forEach.call(buttons, function (button) {
    var box = document.getElementById(button.getAttribute("aria-controls"));
    if (!box || box.type !== "password") return;
    function shown(visible) {
      box.type = visible ? "text" : "password";
      button.textContent = visible ? button.getAttribute("data-hide") : button.getAttribute("data-show");
    }
    button.addEventListener("click", function () { shown(box.type === "password"); });
    // A password box again before the form goes: password managers only save what was typed
    // in one, and the password is not left readable on the page after a failed attempt.
    if (box.form) box.form.addEventListener("submit", function () { shown(false); });
    button.hidden = false;
  });
})();
