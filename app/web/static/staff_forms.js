// The staff pages' forms (review decisions and extra time, regrade proposals and
// applies): each posts to the API with the session cookie and the CSRF value; a failure
// is shown next to the form, which stays filled in. A form whose handler returns a
// message reloads the page and shows that message once above the new state.
import { showError } from "./api.js";

export function formsWithMessage(messageKey, messageId) {
  const message = document.getElementById(messageId);
  const stored = sessionStorage.getItem(messageKey);
  if (stored && message) {
    message.textContent = stored;
    message.hidden = false;
    sessionStorage.removeItem(messageKey);
  }

  return function wire(form, errorId, send) {
    if (!form) return;
    const error = document.getElementById(errorId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const done = await send(new FormData(form), form.dataset);
        if (typeof done === "string") {
          sessionStorage.setItem(messageKey, done);
          window.location.reload();
        }
      } catch (err) {
        showError(error, err.message);
        button.disabled = false;
        error.focus?.();
      }
    });
  };
}
