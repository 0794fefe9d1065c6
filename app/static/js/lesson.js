// Lesson page: a "Copy" button on every message template, and checklist ticks without a
// page reload. Without this file templates are plain selectable text and each tick is an
// ordinary form post.
(function () {
  "use strict";
  var article = document.querySelector("article.lesson");
  var body = article && article.querySelector(".lesson-body");
  if (!body) return;
  var labels = article.dataset;  // in the page's language, which may differ from the lesson's

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelecting(element) {  // no Clipboard API, or it was refused
    selectText(element);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function say(button, text) {
    button.textContent = text;
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(function () { button.textContent = labels.copyLabel; }, 2500);
  }

  // Copying a template also keeps it in My templates (the page's own keep form, sent quietly).
  function keep(position) {
    var form = document.querySelector('form.keep-template[data-position="' + position + '"]');
    if (!form || !window.fetch || !window.FormData) return;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}}).catch(function () {});
  }

  Array.prototype.forEach.call(body.querySelectorAll(".template-block"), function (block, index) {
    var text = block.querySelector("pre") || block;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button copy-button";
    button.textContent = labels.copyLabel;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      var value = text.textContent;
      keep(index + 1);
      var fallback = function () {
        say(button, copyBySelecting(text) ? labels.copiedLabel : labels.copyFailedLabel);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(function () {
          say(button, labels.copiedLabel);
        }, fallback);
      } else {
        fallback();
      }
    });
    block.appendChild(button);
  });

  if (!window.fetch || !window.FormData) return;
  Array.prototype.forEach.call(body.querySelectorAll("form.check-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector(".check-button");
      var done = form.querySelector('input[name="done"]');
      if (button.disabled) return;  // one request at a time per item
      button.disabled = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: {"Accept": "application/json"}  // the form's own csrf_token goes in the body
      }).then(function (response) {
        if (!response.ok || response.redirected) throw new Error("page");
        return response.json();
      }).then(function (result) {
        button.disabled = false;
        button.setAttribute("aria-checked", result.done ? "true" : "false");
        done.value = result.done ? "0" : "1";
        form.parentNode.classList.toggle("is-done", result.done);
      }).catch(function (error) {
        button.disabled = false;
        if (error.message === "page") { form.submit(); return; }  // signed out, module closed…
        button.title = labels.tickFailedLabel;
        window.alert(labels.tickFailedLabel);
      });
    });
  });
})();
