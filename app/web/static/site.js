// On every page: sign out, and the copy buttons next to share links.
import { api } from "./api.js";

const signOut = document.querySelector("[data-sign-out]");
if (signOut) {
  signOut.addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/v1/auth/session");
    } finally {
      window.location.assign("/sign-in");
    }
  });
}

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById("copy-status");
    const text = source.value ?? source.href ?? source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      if (status) status.textContent = "Link copied.";
    } catch (err) {
      if (status) status.textContent = "Select the link and copy it with your keyboard.";
    }
  });
}
