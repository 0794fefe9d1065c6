// Turns "You can try again at 14:30." into a live countdown; without this file the time stays.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("time[data-countdown]");
  function two(n) { return ("0" + n).slice(-2); }
  Array.prototype.forEach.call(clocks, function (clock) {
    var ends = Date.parse(clock.getAttribute("datetime"));
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
