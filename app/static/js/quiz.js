// Autosave each answer as it is chosen, and keep every answer the server has not confirmed on
// the device (per person and attempt), so a lost connection or an ended session loses nothing.
// The plain form submit works without this file.
(function () {
  "use strict";
  function store(key, value) {  // localStorage may be missing or full: then only the server keeps answers
    try {
      if (value === undefined) return JSON.parse(window.localStorage.getItem(key)) || {};
      if (value && Object.keys(value).length) window.localStorage.setItem(key, JSON.stringify(value));
      else window.localStorage.removeItem(key);
    } catch (e) { return {}; }
  }

  // The result page: the attempt is graded, so nothing of it stays on the device.
  var graded = document.querySelector("[data-forget-answers]");
  if (graded) store(graded.dataset.forgetAnswers, null);

  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData || !window.Promise) return;
  var url = form.dataset.autosave;
  var key = form.dataset.store;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var banner = document.getElementById("signed-out");
  var button = form.querySelector('button[type="submit"]');
  var pending = {};  // question id -> timer
  var unsent = {};   // question id -> true while the server has not confirmed it
  var flights = [];  // autosaves on the way: a submit waits for them
  var submitting = false;  // the form itself now carries every answer
  var signedOut = false;
  var fieldsets = {};
  Array.prototype.forEach.call(form.querySelectorAll("fieldset[data-question]"), function (fieldset) {
    fieldsets[fieldset.dataset.question] = fieldset;
  });

  function status(fieldset, text, bad) {
    var el = fieldset.querySelector(".save-status");
    if (el) { el.textContent = text; el.classList.toggle("error", !!bad); }
  }

  function inputs(fieldset) {
    return Array.prototype.filter.call(fieldset.querySelectorAll("input, select, textarea"),
                                       function (el) { return el.name && el.type !== "hidden"; });
  }

  // What the person chose, read from the form's own fields, in page order (an order question's
  // steps are its selects in turn).
  function choices(fieldset) {
    var pairs = [];
    inputs(fieldset).forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      pairs.push([el.name, el.value]);
    });
    return pairs;
  }

  function restore(fieldset, pairs) {
    var values = {};
    pairs.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    inputs(fieldset).forEach(function (el) {
      var list = values[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") el.checked = list.indexOf(el.value) !== -1;
      else el.value = list.length ? list.shift() : "";
    });
  }

  function keep(fieldset) {
    var kept = store(key);
    kept[fieldset.dataset.question] = choices(fieldset);
    store(key, kept);
  }

  function confirmed(id, sent) {
    var kept = store(key);
    // A newer choice made while this one was on its way stays kept until it is confirmed too.
    if (kept[id] && JSON.stringify(kept[id]) === sent) { delete kept[id]; store(key, kept); }
  }

  function answered(fieldset) {
    return inputs(fieldset).some(function (el) {
      return (el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim() !== "";
    });
  }

  function updateCount() {
    var counter = document.getElementById("answered-count");
    if (!counter) return;
    var n = Object.keys(fieldsets).filter(function (id) { return answered(fieldsets[id]); }).length;
    counter.textContent = form.dataset.answered.replace("%(answered)s", n).replace("%(total)s", counter.dataset.total);
  }

  function showSignedOut(on) {
    signedOut = on;
    if (banner) banner.hidden = !on;
  }

  function save(fieldset) {
    if (submitting) return Promise.resolve();
    var id = fieldset.dataset.question;
    var sent = JSON.stringify(choices(fieldset));
    var body = new FormData();
    body.append("question_id", id);
    Array.prototype.forEach.call(fieldset.querySelectorAll("input, select, textarea"), function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      body.append(el.name, el.value);
    });
    var flight = fetch(url, {method: "POST", body: body, credentials: "same-origin",
                             headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) {
        if (submitting) return;
        if (response.status === 401) {  // the session ended: the answer waits on the device
          unsent[id] = true; showSignedOut(true); status(fieldset, form.dataset.kept, true);
          return;
        }
        return response.json().then(function (data) {
          if (submitting) return;
          if (response.ok) {
            delete unsent[id]; confirmed(id, sent); showSignedOut(false);
            status(fieldset, data.message, data.late);
          } else if (data.error === "closed") {  // graded already (another tab): nothing to keep
            store(key, null); status(fieldset, data.message, true);
          } else { unsent[id] = true; status(fieldset, data.message || form.dataset.failed, true); }
        }, function () { unsent[id] = true; status(fieldset, form.dataset.failed, true); });
      }, function () { unsent[id] = true; status(fieldset, form.dataset.offline, true); })
      .then(function () { flights.splice(flights.indexOf(flight), 1); });
    flights.push(flight);
    return flight;
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (!fieldset) return;
    var id = fieldset.dataset.question;
    clearTimeout(pending[id]);
    unsent[id] = true;
    keep(fieldset);
    updateCount();
    pending[id] = setTimeout(function () { delete pending[id]; save(fieldset); }, 300);
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text") event.target.dispatchEvent(new Event("change", {bubbles: true}));
  });
  function sendUnsent() {
    return Object.keys(unsent).map(function (id) {
      clearTimeout(pending[id]); delete pending[id];
      return fieldsets[id] ? save(fieldsets[id]) : null;
    });
  }
  window.addEventListener("online", sendUnsent);

  form.addEventListener("submit", function (event) {
    if (submitting) return;
    event.preventDefault();
    var note = document.getElementById("submit-status");
    if (note) note.textContent = "";
    if (button) button.disabled = true;
    // Everything not yet confirmed goes first: a session that ended shows here, on this page,
    // instead of after a trip to the login page; and no autosave lands after grading (409).
    sendUnsent();
    Promise.all(flights.slice()).then(function () {
      if (signedOut || (navigator.onLine === false)) {
        if (button) button.disabled = false;
        if (signedOut && banner) { banner.scrollIntoView({block: "center"}); banner.querySelector("a").focus(); }
        else if (note) note.textContent = form.dataset.offlineSubmit;
        return;
      }
      submitting = true;
      HTMLFormElement.prototype.submit.call(form);
    });
  });

  // Back on the page (after signing in again, reloading, reopening the phone): answers the
  // server has not confirmed come back from the device and are sent again.
  var kept = store(key);
  Object.keys(kept).forEach(function (id) {
    if (!fieldsets[id]) { delete kept[id]; return; }
    restore(fieldsets[id], kept[id]);
    kept[id] = choices(fieldsets[id]);
    unsent[id] = true;
    status(fieldsets[id], form.dataset.restored);
  });
  store(key, kept);
  updateCount();
  sendUnsent();

  var timer = document.getElementById("timer");
  if (timer && timer.dataset.remaining > 0) {
    var ends = Date.now() + timer.dataset.remaining * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      timer.dataset.left = left;
      timer.setAttribute("aria-label", Math.floor(left / 60) + ":" + ("0" + left % 60).slice(-2));
      var strong = timer.querySelector("strong") || timer.appendChild(document.createElement("strong"));
      strong.textContent = " " + Math.floor(left / 60) + ":" + ("0" + left % 60).slice(-2);
      if (left > 0) setTimeout(tick, 1000);
    };
    tick();
  }
})();
