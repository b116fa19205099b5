// The portal answer page's enhancements (docs/web.md, "The partner portal"): the draft saves itself on
// the server a moment after typing stops, with its version, so a second tab cannot overwrite it (the
// tab that loses is told, and keeps its text); the sentence beside "Also share with my partner" follows
// the box. Without this script the "Save draft" button does the same saving.
"use strict";
(() => {
  const form = document.getElementById("answer-form");
  if (!form) return;
  const status = document.getElementById("autosave-status");
  const conflict = document.getElementById("answer-conflict");
  const state = document.getElementById("share-state");
  const share = form.elements.share;
  const delay = 2000;

  let timer = null;
  let saving = Promise.resolve();
  let halted = false;

  // What the form says, without its bookkeeping: a save is sent only when this changed.
  function snapshot() {
    const data = new URLSearchParams(new FormData(form));
    for (const name of ["csrf", "draft", "version", "action"]) data.delete(name);
    return data.toString();
  }
  let lastSaved = snapshot();
  let savedText = status.textContent;

  function say(text) {
    status.textContent = text;
  }

  function halt(text) {
    halted = true;
    conflict.textContent = text;
    conflict.hidden = false;
  }

  function followShare() {
    if (share && state) state.textContent = share.checked ? state.dataset.on : state.dataset.off;
  }

  async function save() {
    const sent = snapshot();
    if (halted || form.elements.text.value.trim() === "") return;
    if (sent === lastSaved) {
      say(savedText);
      return;
    }
    const body = new URLSearchParams(new FormData(form));
    let answer;
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      answer = { status: response.status, json: await response.json().catch(() => ({})) };
    } catch {
      say("Not saved: Haven could not be reached. Your text is still here; it saves when you next type.");
      return;
    }
    if (answer.status === 200) {
      lastSaved = sent;
      form.elements.version.value = answer.json.version;
      savedText = `Draft saved at ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} (version ${answer.json.version}).`;
      say(savedText);
    } else if (answer.status === 409) {
      halt(`${answer.json.error || "This answer was saved in another tab or window first."} Saving by itself has stopped here: press "Save draft" to keep your text.`);
      say("Not saved (another tab saved first).");
    } else if (answer.status === 401) {
      halt(answer.json.error || "You were signed out; copy your text, sign in, and paste it.");
    } else {
      say(`Not saved yet: ${answer.json.error || "Haven refused the draft."}`);
    }
  }

  function saveNow() {
    clearTimeout(timer);
    timer = null;
    saving = saving.then(save, save);
    return saving;
  }

  function schedule() {
    if (halted) return;
    clearTimeout(timer);
    say("Editing…");
    timer = setTimeout(saveNow, delay);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", () => {
    followShare();
    schedule();
  });
  form.addEventListener("submit", () => clearTimeout(timer));
})();
