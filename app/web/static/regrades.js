// The regrade pages' forms: a proposal for an item's key (on the regrades page and an
// item's page) or a scenario's check (then its page, with the preview) and an apply
// (then the page again, which shows what the apply did), posted to /api/v1/regrades
// with the session cookie and the CSRF value.
import { api } from "./api.js";
import { formsWithMessage } from "./staff_forms.js";

const wire = formsWithMessage("assay:regrade-message", "regrade-message");

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
  return "Applying: every affected attempt is being rescored.";
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
