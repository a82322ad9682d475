// The waiting room of a sitting: a countdown to the start by the server's clock (the
// seconds left come from the server, counted down here on a monotonic clock and synced
// again every 15 s), then the exam page, which the same address becomes at the start. A
// sitting moved or cancelled meanwhile reloads the page, which then says so.
import { api, showError } from "./api.js";

const root = document.getElementById("waiting");
const display = document.getElementById("starts-in");
const error = document.getElementById("waiting-error");
const base = `/api/v1/attempts/${root.dataset.attempt}`;
let startsAt = performance.now() + Number(root.dataset.startsIn) * 1000;
let opening = false;
let syncing = null;

function format(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${String(m).padStart(2, "0")}:${sec}`;
}

function sync() {
  syncing = syncing || ask().finally(() => (syncing = null));
  return syncing;
}

async function ask() {
  try {
    const state = await api("GET", base);
    error.hidden = true;
    if (state.status !== "checked_in") return open();
    // Moved by an admin: the page says so, and from when, once reloaded.
    if (Date.parse(state.starts_at) !== Date.parse(root.dataset.startsAt)) return open();
    startsAt = performance.now() + state.starts_in_seconds * 1000;
  } catch (err) {
    showError(error, err.message); // offline: keep counting down, try again later
  }
}

function open() {
  if (opening) return;
  opening = true;
  display.textContent = "00:00";
  // Spread over a second: every candidate of the sitting opens the exam at this moment.
  setTimeout(() => window.location.reload(), Math.random() * 1000);
}

function tick() {
  const left = (startsAt - performance.now()) / 1000;
  display.textContent = format(left);
  if (left <= 0 && !opening) {
    sync().then(() => {
      // Still waiting by the server's clock: ask again shortly.
      if (!opening) startsAt = performance.now() + 1000;
    });
  }
}

tick();
setInterval(tick, 250);
setInterval(sync, 15000);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") sync();
});
