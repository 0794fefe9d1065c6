// Course editor: live preview, autosave with optimistic locking, Ctrl+S, phone tabs.
// The page works without this file (plain form posts); this only makes it quicker.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var textarea = document.getElementById("text");
  var revision = document.getElementById("revision");
  var preview = document.getElementById("preview");
  var status = document.getElementById("save-status");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var savedText = textarea.value;
  var saving = false, blocked = false, previewTimer = null, saveTimer = null;

  function say(text) { status.textContent = text; }

  function post(url, extra) {
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("text", textarea.value);
    Object.keys(extra || {}).forEach(function (k) { body.append(k, extra[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json" } });
  }

  function refreshPreview() {
    post(form.dataset.previewUrl).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { preview.innerHTML = data.html; } })
      .catch(function () { /* offline: the preview waits for the next keystroke */ });
  }

  function showConflict(data) {
    blocked = true;
    var box = document.getElementById("conflict-live") || document.createElement("section");
    box.id = "conflict-live";
    box.className = "card conflict";
    box.setAttribute("role", "alert");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = data.message;
    var pre = document.createElement("pre");
    pre.className = "diff";
    (data.diff || []).forEach(function (line) {
      var span = document.createElement("span");
      span.className = line.charAt(0) === "+" ? "add" : line.charAt(0) === "-" ? "del" : "ctx";
      span.textContent = line + "\n";
      pre.appendChild(span);
    });
    var keep = document.createElement("button");
    keep.type = "button";
    keep.className = "button";
    keep.textContent = form.dataset.keepText || "Keep mine";
    keep.addEventListener("click", function () {
      revision.value = data.revision;  // seen their change; save ours over it on purpose
      blocked = false;
      box.remove();
      save();
    });
    var theirs = document.createElement("a");
    theirs.className = "button secondary";
    theirs.href = window.location.href;
    theirs.textContent = form.dataset.theirsText || "Open their version";
    box.append(p, pre, keep, theirs);
    form.parentNode.insertBefore(box, form);
  }

  function save() {
    if (saving || blocked || textarea.value === savedText) { return; }
    saving = true;
    var sent = textarea.value;
    say(form.dataset.savingText);
    // form.action would be the <button name="action">: read the attribute
    post(form.getAttribute("action"), { revision: revision.value, action: "save" }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      saving = false;
      if (res.status === 200) {
        revision.value = res.data.revision;
        savedText = sent;
        say(textarea.value === sent ? form.dataset.savedText : form.dataset.unsavedText);
      } else if (res.status === 409) {
        say(res.data.message);
        showConflict(res.data);
      } else {
        say(res.data.message || form.dataset.offlineText);
        blocked = res.status === 413;  // too long: typing more won't help
      }
    }).catch(function () {
      saving = false;
      say(form.dataset.offlineText);
    });
  }

  textarea.addEventListener("input", function () {
    say(form.dataset.unsavedText);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 350);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 2000);
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.value === "preview") {
      event.preventDefault();
      refreshPreview();
      showTab("preview");
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      clearTimeout(saveTimer);
      save();
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (textarea.value !== savedText) { event.preventDefault(); }
  });

  preview.addEventListener("click", function (event) {
    var target = event.target.closest(".go-to-line");
    if (!target) { return; }
    var line = parseInt(target.dataset.line, 10) - 1;
    var lines = textarea.value.split("\n");
    var start = lines.slice(0, line).join("\n").length + (line > 0 ? 1 : 0);
    showTab("write");
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line] || "").length);
  });

  // Phone: Write and Preview are tabs; wide screens show both side by side.
  var tabs = form.querySelector(".editor-tabs");
  var editor = form.querySelector(".editor");
  function showTab(name) {
    editor.dataset.show = name;
    tabs.querySelectorAll("[role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.getAttribute("aria-controls") === name + "-pane"));
    });
  }
  tabs.hidden = false;
  tabs.addEventListener("click", function (event) {
    var tab = event.target.closest("[role=tab]");
    if (tab) { showTab(tab.getAttribute("aria-controls").replace("-pane", "")); }
  });
  showTab("write");
})();
