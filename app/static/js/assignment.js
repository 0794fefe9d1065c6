// Assignment page: autosave the text a moment after she stops typing (the form's own post,
// answered as JSON), and keep what the server has not confirmed on the phone, so a lost
// connection loses nothing. Without this file the Save button posts the form.
(function () {
  "use strict";
  // A page that shows her work handed in (or approved) says so: the server has it, so the
  // copy kept on the phone can go. Only then, never on submit: a hand-in that fails (signed
  // out, the database away) must find her text still here.
  var done = document.querySelector("[data-store-done]");
  if (done) {
    try { window.localStorage.removeItem(done.dataset.storeDone); } catch (e) { /* none kept */ }
  }
  var form = document.getElementById("assignment-form");
  if (!form || !window.fetch || !window.FormData) return;
  var box = form.querySelector("textarea[name=text]");
  var status = form.querySelector(".save-status");
  var key = form.dataset.store;
  // The buttons are named "action", which hides form.action: read the attribute.
  var url = form.getAttribute("action");
  var timer = null, sent = null, busy = false;

  function keep(value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode or full: only the server keeps it */ }
  }
  function kept() {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("error", !!bad);
  }

  var unsent = kept();
  if (unsent !== null && unsent !== box.value) { box.value = unsent; schedule(); }
  else if (unsent !== null) keep(null);  // the server's text is the same: nothing to keep

  function save() {
    if (busy) { schedule(); return; }
    var data = new FormData(form);
    data.set("action", "save");
    var value = box.value;
    busy = true;
    say(form.dataset.savingLabel);
    fetch(url, {method: "POST", body: data, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return [response, body]; });
      })
      .then(function (pair) {
        busy = false;
        if (pair[0].ok && pair[1].saved) {
          sent = value;
          if (box.value === value) keep(null);
          say(form.dataset.savedLabel);
        } else {
          // Her language, never a code; a server that is away gets the phone's promise.
          say(pair[0].status < 500 && pair[1].message || form.dataset.failedLabel, true);
        }
      })
      .catch(function () { busy = false; say(form.dataset.failedLabel, true); });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }
  // Characters as the server counts them (code points: an emoji is one), beside the limit.
  var counter = form.querySelector(".char-count");
  var limit = parseInt(box.dataset.maxChars, 10);
  function count() {
    if (!counter || !limit) return;
    var n = Array.from(box.value).length;
    counter.textContent = n + " / " + limit;
    counter.classList.toggle("error", n > limit);
  }
  count();
  box.addEventListener("input", function () {
    keep(box.value);
    count();
    schedule();
  });
  form.addEventListener("submit", function () { keep(box.value); clearTimeout(timer); });
})();
