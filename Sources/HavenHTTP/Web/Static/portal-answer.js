// The portal answer page's enhancements (docs/web.md, "The partner portal"): the draft saves itself on
// the server a moment after typing stops (autosave.js, with its version, so a second tab cannot
// overwrite it), and once more before the idle logoff signs the partner out (haven.js); the sentence
// beside "Also share with my partner" follows the box. Without this script the "Save draft" button
// does the same saving.
"use strict";
(() => {
  const form = document.getElementById("answer-form");
  if (!form) return;
  const state = document.getElementById("share-state");
  const share = form.elements.share;

  const saveNow = window.havenAutosave(form, {
    text: "text",
    bookkeeping: ["csrf", "draft", "version", "action"],
    status: document.getElementById("autosave-status"),
    conflict: document.getElementById("answer-conflict"),
    savedText: (version) => ` (version ${version}).`,
    conflictText: "This answer was saved in another tab or window first.",
    conflictAdvice: ` Saving by itself has stopped here: press "Save draft" to keep your text.`,
    // The save restarted the server's idle clock: haven.js restarts its count too.
    saved: () => {
      if (typeof window.havenActivity === "function") window.havenActivity();
    },
  });

  // haven.js's idle logoff awaits this before it signs out.
  window.havenBeforeSignOut = () => saveNow();

  form.addEventListener("change", () => {
    if (share && state) state.textContent = share.checked ? state.dataset.on : state.dataset.off;
  });
})();
