// While her certificate is on its way, look again every 10 seconds (for 5 minutes) and put
// it in place when it has come, saying so to a screen reader; no page reload, so nobody is
// thrown back to the top. Without this file the "Look again now" button does the same.
(function () {
  "use strict";
  var waiting = document.querySelector("[data-certificate-pending]");
  if (!waiting || !window.fetch || !window.DOMParser) return;
  var started = Date.now();
  function look() {
    if (Date.now() - started > 5 * 60 * 1000) return;  // the page says what to do if late
    fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var moment = fresh.querySelector(".certificate-moment");
        if (moment && !moment.querySelector("[data-certificate-pending]")) {
          document.querySelector(".certificate-moment").replaceWith(moment);
          var news = document.getElementById("certificate-news");
          if (news) news.textContent = news.dataset.ready;
          return;
        }
        setTimeout(look, 10000);
      })
      .catch(function () { setTimeout(look, 10000); });
  }
  setTimeout(look, 5000);
})();
