// A shared phone: quiz answers this device kept for one person (until the server confirmed
// them) are removed as soon as someone else is signed in on it. Signed out, nothing is
// touched: the same person signing back in gets her kept answers replayed (quiz.js).
(function () {
  "use strict";
  var user = document.body && document.body.getAttribute("data-user");
  if (!user) return;
  try {
    var mine = "smallb.quiz." + user + ".";
    for (var i = window.localStorage.length - 1; i >= 0; i--) {
      var key = window.localStorage.key(i);
      if (key && key.indexOf("smallb.quiz.") === 0 && key.indexOf(mine) !== 0) {
        window.localStorage.removeItem(key);
      }
    }
  } catch (error) { /* no localStorage: nothing kept, nothing to remove */ }
})();
