// The regrade pages' forms: a proposal for an item's key (on the regrades page and an
// item's page) or a scenario's check (then its page, with the preview) and an apply
// (then the page again, which shows what the apply did), posted to /api/v1/regrades
// with the session cookie and the CSRF value.
import { api, showError } from "./api.js";

const MESSAGE_KEY = "assay:regrade-message";
const message = document.getElementById("regrade-message");
const stored = sessionStorage.getItem(MESSAGE_KEY);
if (stored && message) {
  message.textContent = stored;
  message.hidden = false;
  sessionStorage.removeItem(MESSAGE_KEY);
}

function wire(form, errorId, send) {
  if (!form) return;
  const error = document.getElementById(errorId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await send(new FormData(form), form.dataset);
    } catch (err) {
      showError(error, err.message);
      button.disabled = false;
      error.focus();
    }
  });
}

wire(document.getElementById("propose-form"), "propose-error", async (data) => {
  const itemId = String(data.get("item_id") || "").trim();
  const change = String(data.get("change") || "");
  const reason = String(data.get("reason") || "").trim();
  const key = String(data.get("key") || "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  if (!itemId) throw new Error("Give the item's id.");
  if (change === "accept" && !key.length) throw new Error("Give the key to accept as well.");
  if (reason.length < 3) throw new Error("Give a reason (at least 3 characters).");
  const body = { item_id: itemId, change, reason };
  if (change !== "drop") body.key = key;
  const regrade = await api("POST", "/api/v1/regrades", body);
  window.location.assign(`/author/regrades/${regrade.id}`);
});

wire(document.getElementById("check-form"), "check-error", async (data) => {
  const scenarioId = String(data.get("scenario_id") || "").trim();
  const check = String(data.get("check") || "").trim();
  const change = String(data.get("change") || "");
  const reason = String(data.get("reason") || "").trim();
  if (!scenarioId || !check) throw new Error("Give the scenario's id and the check's name.");
  if (reason.length < 3) throw new Error("Give a reason (at least 3 characters).");
  const body = { scenario_id: scenarioId, check, change, reason };
  const regrade = await api("POST", "/api/v1/regrades", body);
  window.location.assign(`/author/regrades/${regrade.id}`);
});

wire(document.getElementById("apply-form"), "apply-error", async (data, dataset) => {
  const reason = String(data.get("reason") || "").trim();
  if (reason.length < 3) throw new Error("Give a reason (at least 3 characters).");
  await api("POST", `/api/v1/regrades/${dataset.regrade}/apply`, { reason });
  sessionStorage.setItem(MESSAGE_KEY, "Applying: every affected attempt is being rescored.");
  window.location.reload();
});

// "Re-key" next to a key changed in the bank: fills the form for a re-key with the
// newest version's key (an empty key), leaving the reason to the author.
for (const button of document.querySelectorAll("[data-rekey]")) {
  button.addEventListener("click", () => {
    const form = document.getElementById("propose-form");
    form.elements.item_id.value = button.dataset.rekey;
    form.querySelector('input[name=change][value="rekey"]').checked = true;
    form.elements.key.value = "";
    form.elements.reason.focus();
  });
}
