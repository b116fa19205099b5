// Haven's page script (docs/web.md, "Idle logoff"). Loaded on signed-in pages only; no inline
// script anywhere (the CSP allows only same-origin files).
//
// The server signs a session out after <body data-idle-seconds> without a request. This script
// counts the same time from the page's load (or the last "stay signed in"), shows a warning two
// minutes before the end with a button that keeps the session alive (POST /session/keepalive), and
// just before the end lets the page save its work (window.havenBeforeSignOut, if a page defines it:
// the note editor and the portal's answer page save their drafts there), then signs out and shows
// the sign-in page saying why. One script for the staff pages and the partner portal: <body
// data-idle-keepalive, data-idle-sign-out, data-idle-signed-out> name the portal's addresses; without
// them the staff ones apply.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-idle-seconds") || "", 10);
  if (!(seconds > 0)) return;
  var keepalivePath = body.getAttribute("data-idle-keepalive") || "/session/keepalive";
  var signOutPath = body.getAttribute("data-idle-sign-out") || "/sign-out";
  var signedOutPath = body.getAttribute("data-idle-signed-out") || "/sign-in?reason=idle";
  // Where a "stay signed in" that comes too late goes: the same sign-in page, without the reason.
  var signInPath = signedOutPath.split("?")[0];
  var meta = document.querySelector('meta[name="csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var warningLead = Math.min(120, Math.floor(seconds / 2));
  // Sign out before the server would, so the draft can still be saved with a live session: the
  // server restarts its clock at most every 30 seconds, so it may run up to 30 seconds ahead.
  var margin = Math.min(45, Math.floor(seconds / 10));
  var warnTimer = null;
  var endTimer = null;
  var dialog = null;
  var ending = false;

  function post(path, fields) {
    var body = new URLSearchParams();
    body.set("csrf", csrf);
    Object.keys(fields || {}).forEach(function (name) { body.set(name, fields[name]); });
    return fetch(path, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    });
  }

  function buildDialog() {
    var box = document.createElement("div");
    box.className = "idle-warning";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-labelledby", "idle-warning-text");
    box.hidden = true;
    var text = document.createElement("p");
    text.id = "idle-warning-text";
    text.textContent = "You will be signed out in two minutes because nothing has been sent to Haven for a while.";
    var button = document.createElement("button");
    button.type = "button";
    button.id = "idle-stay";
    button.textContent = "Stay signed in";
    button.addEventListener("click", stay);
    box.appendChild(text);
    box.appendChild(button);
    document.body.appendChild(box);
    return box;
  }

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (dialog) dialog.hidden = true;
    warnTimer = setTimeout(warn, Math.max(0, seconds - warningLead) * 1000);
    endTimer = setTimeout(end, Math.max(0, seconds - margin) * 1000);
  }

  function warn() {
    if (!dialog) dialog = buildDialog();
    dialog.hidden = false;
    var button = document.getElementById("idle-stay");
    if (button) button.focus();
  }

  function stay() {
    post(keepalivePath).then(function (response) {
      if (response.status === 204) schedule();
      else window.location.assign(signInPath);
    }, function () { /* offline: the timers keep running */ });
  }

  function end() {
    if (ending) return;
    ending = true;
    var before = Promise.resolve();
    if (typeof window.havenBeforeSignOut === "function") {
      // The page's own last save (the note editor's draft); a failure does not stop the sign-out.
      before = new Promise(function (resolve) {
        try {
          Promise.resolve(window.havenBeforeSignOut()).then(resolve, resolve);
        } catch (error) {
          resolve();
        }
      });
    }
    before.then(function () {
      return post(signOutPath, { reason: "idle" }).catch(function () {});
    }).then(function () {
      window.location.assign(signedOutPath);
    });
  }

  // A page that sends its own requests (autosave) tells the timer the server's clock restarted.
  window.havenActivity = schedule;
  schedule();
})();
