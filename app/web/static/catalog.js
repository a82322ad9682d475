// The exam's introduction: start (or resume) the attempt, or check in to a sitting, only
// once the candidate has confirmed the rules; then open the exam screen (or the waiting
// room of the sitting, which the same address shows until the start).
import { showError } from "./api.js";
import { startWhenAdmitted } from "./admission.js";

const admission = document.getElementById("admission");

function wire(form, errorId, pathOf) {
  if (!form) return;
  const error = document.getElementById(errorId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter || form.querySelector("button[type=submit]");
    error.hidden = true;
    button.disabled = true;
    try {
      const attempt = await startWhenAdmitted(pathOf(button), admission);
      window.location.assign(`/attempts/${attempt.id}`);
    } catch (err) {
      admission.hidden = true;
      showError(error, err.message);
      button.disabled = false;
      error.focus?.();
    }
  });
}

const start = document.getElementById("start-form");
wire(start, "start-error", () => `/api/v1/exams/${encodeURIComponent(start.dataset.exam)}/attempts`);
wire(
  document.getElementById("check-in-form"),
  "check-in-error",
  (button) => `/api/v1/sittings/${encodeURIComponent(button.value)}/check-in`,
);
