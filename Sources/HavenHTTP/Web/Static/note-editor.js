// The note editor's enhancements (docs/web.md, "Notes"): step options follow the stage, the partner
// picker shows for steps 5–7, and the draft saves itself a moment after typing stops, with the
// note's version, so two tabs cannot overwrite each other. Without this script the form still works.
"use strict";
(() => {
  const form = document.getElementById("note-form");
  if (!form) return;
  const stage = form.elements.stage;
  const step = form.elements.step;
  const partner = document.getElementById("partner-field");
  const status = document.getElementById("autosave-status");
  const conflict = document.getElementById("note-conflict");
  const delay = 2000;

  function followStep() {
    partner.hidden = !["5", "6", "7"].includes(step.value);
  }

  function followStage() {
    for (const group of step.querySelectorAll("optgroup")) {
      const on = group.dataset.stage === stage.value;
      group.hidden = !on;
      group.disabled = !on;
    }
    const chosen = step.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) step.value = "";
    followStep();
  }

  stage.addEventListener("change", followStage);
  step.addEventListener("change", followStep);
  followStage();

  let timer = null;
  let saving = Promise.resolve();
  let halted = false;

  // What the form says, without its bookkeeping: a save is sent only when this changed (a focus
  // change alone must not bump the version under another tab).
  function snapshot() {
    const data = new URLSearchParams(new FormData(form));
    for (const name of ["csrf", "note", "version", "action"]) data.delete(name);
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

  async function save() {
    const sent = snapshot();
    if (halted || form.elements.body.value.trim() === "") return;
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
      form.elements.note.value = answer.json.note;
      form.elements.version.value = answer.json.version;
      savedText = `Draft saved at ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}, version ${answer.json.version}.`;
      say(savedText);
    } else if (answer.status === 409) {
      halt(`${answer.json.error || "Another tab or window saved this note first."} Autosave has stopped here: press "Save draft" to compare and keep your text.`);
      say("Not saved (another tab saved first).");
    } else if (answer.status === 401) {
      halt(answer.json.error || "You were signed out; copy your text, sign in, and paste it.");
    } else {
      say(`Not saved yet: ${answer.json.error || "Haven refused the draft."}`);
    }
  }

  // Saves now (waiting for a save under way first); resolves when done.
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
  form.addEventListener("change", schedule);
  form.addEventListener("submit", () => clearTimeout(timer));

  // haven.js's idle logoff awaits this before it signs out.
  window.havenBeforeSignOut = () => saveNow();
})();
