// The exam's introduction: start (or resume) the attempt only once the candidate has
// confirmed the rules, then open the exam screen.
import { api, showError } from "./api.js";

const form = document.getElementById("start-form");
if (form) {
  const error = document.getElementById("start-error");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const attempt = await api("POST", `/api/v1/exams/${encodeURIComponent(form.dataset.exam)}/attempts`);
      window.location.assign(`/attempts/${attempt.id}`);
    } catch (err) {
      showError(error, err.message);
      button.disabled = false;
      error.focus?.();
    }
  });
}
