// Autosave each answer as it is chosen; the plain form submit works without this file.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.dataset.autosave;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var pending = {};  // question id -> timer
  var unsent = {};   // question id -> true while not saved (offline, server error)
  var submitting = false;  // the form itself now carries every answer
  var inflight = 0, submitWhenIdle = false;  // autosaves on the way, and a submit waiting for them

  function status(fieldset, text, bad) {
    var el = fieldset.querySelector(".save-status");
    if (el) { el.textContent = text; el.classList.toggle("error", !!bad); }
  }

  function answered(fieldset) {
    var inputs = fieldset.querySelectorAll("input, select");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "hidden") continue;
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim() !== "") return true;
    }
    return false;
  }

  function updateCount() {
    var counter = document.getElementById("answered-count");
    if (!counter) return;
    var sets = form.querySelectorAll("fieldset[data-question]"), n = 0;
    for (var i = 0; i < sets.length; i++) if (answered(sets[i])) n++;
    counter.textContent = form.dataset.answered.replace("%(answered)s", n).replace("%(total)s", counter.dataset.total);
  }

  function save(fieldset) {
    if (submitting) return Promise.resolve();
    var id = fieldset.dataset.question;
    var body = new FormData();
    body.append("question_id", id);
    var inputs = fieldset.querySelectorAll("input, select");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      body.append(el.name, el.value);
    }
    inflight++;
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) {
          if (submitting) return;
          if (response.ok) { delete unsent[id]; status(fieldset, data.message, data.late); }
          else { unsent[id] = true; status(fieldset, data.message || form.dataset.offline, true); }
        });
      })
      .catch(function () { unsent[id] = true; status(fieldset, form.dataset.offline, true); })
      .then(function () {
        inflight--;
        // An autosave landing after grading would be refused (409): submit once they are in.
        if (submitWhenIdle && inflight === 0) HTMLFormElement.prototype.submit.call(form);
      });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (!fieldset) return;
    var id = fieldset.dataset.question;
    clearTimeout(pending[id]);
    unsent[id] = true;
    updateCount();
    pending[id] = setTimeout(function () { save(fieldset); }, 300);
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text") event.target.dispatchEvent(new Event("change", {bubbles: true}));
  });
  window.addEventListener("online", function () {
    Object.keys(unsent).forEach(function (id) {
      var fieldset = form.querySelector('fieldset[data-question="' + id + '"]');
      if (fieldset) save(fieldset);
    });
  });
  form.addEventListener("submit", function (event) {
    submitting = true;
    if (inflight > 0) { event.preventDefault(); submitWhenIdle = true; }
    Object.keys(pending).forEach(function (id) { clearTimeout(pending[id]); });
    var button = form.querySelector('button[type="submit"]');
    // A second click would be harmless (submitting is idempotent), but spare the request.
    setTimeout(function () { if (button) button.disabled = true; }, 0);
  });

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
