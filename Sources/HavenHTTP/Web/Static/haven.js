// Haven's page script (docs/web.md, "Idle logoff"). Loaded on signed-in pages only; no inline
// script anywhere (the CSP allows only same-origin files).
//
// The server signs a session out after <body data-idle-seconds> without a request. This script
// counts the same time from the page's load (or the last "stay signed in"), shows a warning two
// minutes before the end with a button that keeps the session alive (POST /session/keepalive), and
// just before the end lets the page save its work (window.havenBeforeSignOut, if a page defines it:
// the note editor and the portal's answer page save their drafts there), then signs out and shows
// the sign-in page saying why; a page with typed text and no way to save it is hidden instead, its
// text kept in the tab until the person signs in again (`lock`). One script for the staff pages and the partner portal: <body
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
    var keep = typeof window.havenBeforeSignOut !== "function" && typedText();
    before.then(function () {
      return post(signOutPath, { reason: "idle" }).catch(function () {});
    }).then(function () {
      if (keep) lock();
      else window.location.assign(signedOutPath);
    });
  }

  // A page that cannot save its text by itself (no havenBeforeSignOut) but holds text typed into one
  // of its forms is not left: the session ends all the same, the page is hidden behind a notice, and
  // the text stays in this tab's memory (never in storage) until the person has signed in again.
  function typedText() {
    return Array.prototype.some.call(document.querySelectorAll("form textarea"), function (area) {
      return area.value.trim() !== "";
    });
  }

  function lock() {
    var minutes = Math.round(seconds / 60);
    var box = document.createElement("section");
    box.className = "idle-lock";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-labelledby", "idle-lock-title");
    var title = document.createElement("h1");
    title.id = "idle-lock-title";
    title.textContent = "Signed out after " + minutes + (minutes === 1 ? " minute" : " minutes") +
      " without activity";
    var text = document.createElement("p");
    text.textContent = "What you typed on this page was not sent. It is kept in this tab, out of sight, " +
      "until you sign in again: sign in in a new tab, then come back here and show it.";
    var signIn = document.createElement("a");
    signIn.href = signInPath;
    signIn.target = "_blank";
    signIn.textContent = "Sign in (opens a new tab)";
    var show = document.createElement("button");
    show.type = "button";
    show.id = "idle-show";
    show.textContent = "Show what I typed";
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    show.addEventListener("click", function () {
      unlock(box, status);
    });
    [title, text, signIn, show, status].forEach(function (part) {
      box.appendChild(document.createTextNode(" "));
      box.appendChild(part);
    });
    if (dialog) dialog.hidden = true;
    document.body.appendChild(box);
    document.body.classList.add("idle-locked");
    show.focus();
  }

  // Only a signed-in browser sees the text again: a page without clinical content (the account's or
  // the partner's settings) is fetched with the new session, and its form token replaces the ended
  // session's in every form, so sending the form works.
  function unlock(box, status) {
    var source = keepalivePath.indexOf("/portal/") === 0 ? "/portal/settings" : "/account/code-app";
    fetch(source, { credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status !== 200) throw new Error("signed out");
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector('meta[name="csrf"]');
        if (!fresh) throw new Error("signed out");
        csrf = fresh.getAttribute("content");
        if (meta) meta.setAttribute("content", csrf);
        Array.prototype.forEach.call(document.querySelectorAll('input[name="csrf"]'), function (input) {
          input.value = csrf;
        });
        document.body.classList.remove("idle-locked");
        box.remove();
        ending = false;
        schedule();
      })
      .catch(function () {
        status.textContent = "You are not signed in yet. Sign in in a new tab first, then show your text here.";
      });
  }

  // A page that sends its own requests (autosave) tells the timer the server's clock restarted.
  window.havenActivity = schedule;
  schedule();
})();
