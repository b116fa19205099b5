// The note editor's enhancements (docs/web.md, "Notes"): step options follow the stage, the partner
// picker shows for steps 5–7, and the draft saves itself a moment after typing stops (autosave.js, with
// the note's version, so two tabs cannot overwrite each other). Without scripts the form still works.
"use strict";
(() => {
  const form = document.getElementById("note-form");
  if (!form) return;
  const stage = form.elements.stage;
  const step = form.elements.step;
  const partner = document.getElementById("partner-field");

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

  const saveNow = window.havenAutosave(form, {
    text: "body",
    bookkeeping: ["csrf", "note", "version", "action"],
    status: document.getElementById("autosave-status"),
    conflict: document.getElementById("note-conflict"),
    savedText: (version) => `, version ${version}.`,
    conflictText: "Another tab or window saved this note first.",
    conflictAdvice: ` Autosave has stopped here: press "Save draft" to compare and keep your text.`,
    saved: (json) => {
      form.elements.note.value = json.note;
      // The save restarted the server's idle clock: haven.js restarts its count too.
      if (typeof window.havenActivity === "function") window.havenActivity();
    },
  });

  // haven.js's idle logoff awaits this before it signs out.
  window.havenBeforeSignOut = () => saveNow();
})();
