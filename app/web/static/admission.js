// Starting an attempt (or checking in) when the service is busy: a 202 answer says the
// place in line and when to ask again. Nothing has started yet, so the wait costs the
// candidate no exam time; the line is shown until the start goes through.
import { api } from "./api.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(wait) {
  const seconds = wait.estimated_wait_seconds;
  const estimate = seconds < 60 ? `about ${seconds} s` : `about ${Math.ceil(seconds / 60)} min`;
  return (
    `Many candidates are starting right now. You are number ${wait.position} in line ` +
    `(${estimate}). Your exam time has not started; keep this page open.`
  );
}

export async function startWhenAdmitted(path, status) {
  for (;;) {
    const answer = await api("POST", path);
    if (answer && answer.id !== undefined) {
      status.hidden = true;
      return answer;
    }
    status.textContent = describe(answer);
    status.hidden = false;
    await sleep(Math.max(1, answer.retry_after_seconds) * 1000);
  }
}
