// The review page's forms: a decision or extra time, posted to the review API with the
// session cookie and the CSRF value; the page then reloads to show the new state.
import { api } from "./api.js";
import { formsWithMessage } from "./staff_forms.js";

const wire = formsWithMessage("assay:review-message", "review-message");

const WORDS = { approve: "Approved", hold: "Put on hold", invalidate: "Invalidated" };

wire(document.getElementById("decision-form"), "decision-error", async (data, { attempt }) => {
  const decision = data.get("decision");
  const reason = String(data.get("reason") || "").trim();
  if (!decision) throw new Error("Choose approve, hold or invalidate.");
  if (reason.length < 3) throw new Error("Give a reason (at least 3 characters).");
  const outcome = await api("POST", `/api/v1/review/attempts/${attempt}/decisions`, { decision, reason });
  let text = `${WORDS[decision]}.`;
  if (outcome.certificate_issued) text += ` Certificate ${outcome.certificate_issued} issued.`;
  if (outcome.certificates_revoked.length) text += ` Revoked: ${outcome.certificates_revoked.join(", ")}.`;
  return text;
});

wire(document.getElementById("extra-time-form"), "extra-error", async (data, { attempt }) => {
  const minutes = Number(data.get("minutes"));
  const reason = String(data.get("reason") || "").trim();
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) {
    throw new Error("Extra minutes must be a whole number from 1 to 240.");
  }
  if (reason.length < 3) throw new Error("Give a reason (at least 3 characters).");
  const outcome = await api("POST", `/api/v1/review/attempts/${attempt}/extra-time`, { minutes, reason });
  return `${minutes} minutes added; the deadline is now ${new Date(outcome.deadline_at).toUTCString()}.`;
});
