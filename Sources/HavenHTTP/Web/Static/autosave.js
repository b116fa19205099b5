// The draft autosave both editors share (docs/web.md, "Notes" and "The partner portal"): a form saves
// itself on the server a moment after typing stops, with its version, so a second tab cannot overwrite
// it (the tab that loses is told, stops saving, and keeps its text). The page's own script calls
// `window.havenAutosave(form, options)` and adds only what differs; without scripts the form's "Save
// draft" button does the same saving.
"use strict";
(() => {
  /// Starts autosaving `form` (its `data-autosave` address takes the form's fields and answers JSON
  /// with the new `version`). Options: `text` (the field that must not be blank), `bookkeeping` (the
  /// field names left out when deciding whether anything changed), `status` and `conflict` (elements),
  /// the page's wording (`savedText(version)` ends "Draft saved at 10:30"; `conflictText` stands in
  /// for a 409 that gave no reason, `conflictAdvice` follows it), `saved(json)` (called after each
  /// save). Returns `saveNow()`, which saves at once (after a save under way) and resolves when done.
  window.havenAutosave = (form, options) => {
    const { status, conflict } = options;
    const delay = 2000;
    let timer = null;
    let saving = Promise.resolve();
    let halted = false;

    // What the form says, without its bookkeeping: a save is sent only when this changed (a focus
    // change alone must not bump the version under another tab).
    function snapshot() {
      const data = new URLSearchParams(new FormData(form));
      for (const name of options.bookkeeping) data.delete(name);
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
      if (halted || form.elements[options.text].value.trim() === "") return;
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
        if (options.saved) options.saved(answer.json);
        const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        savedText = `Draft saved at ${time}${options.savedText(answer.json.version)}`;
        say(savedText);
      } else if (answer.status === 409) {
        halt(`${answer.json.error || options.conflictText}${options.conflictAdvice}`);
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
    form.addEventListener("change", schedule);
    form.addEventListener("submit", () => clearTimeout(timer));
    return saveNow;
  };
})();
