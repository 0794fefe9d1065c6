// Adds "That is in 9:59." beside "You can try again at 14:30." and keeps it current; the time
// itself stays, so the learner knows when to come back. Without this file only the time shows.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown]");
  function two(n) { return ("0" + n).slice(-2); }
  Array.prototype.forEach.call(clocks, function (clock) {
    var ends = Date.parse(clock.getAttribute("data-countdown"));
    if (isNaN(ends)) return;
    function tick() {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      if (left === 0) { clock.textContent = clock.dataset.ready; return; }
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      clock.textContent = clock.dataset.left.replace("%(left)s", (h ? h + ":" + two(m) : m) + ":" + two(s));
      setTimeout(tick, 1000);
    }
    tick();
  });
})();
