// Start (or resume) an attempt, then open the exam screen.
import { api, showError } from "./api.js";

const error = document.getElementById("start-error");
for (const button of document.querySelectorAll("[data-start]")) {
  button.addEventListener("click", async () => {
    error.hidden = true;
    button.disabled = true;
    try {
      const attempt = await api("POST", `/api/v1/exams/${encodeURIComponent(button.dataset.start)}/attempts`);
      window.location.assign(`/attempts/${attempt.id}`);
    } catch (err) {
      showError(error, err.message);
      button.disabled = false;
      error.focus?.();
    }
  });
}
