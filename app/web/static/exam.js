// The exam screen: questions and scenarios over the JSON API, with the countdown,
// the navigator, autosave and the submit confirmation.

import { api, ApiError } from "./api.js";
import { Autosave } from "./autosave.js";
import { Countdown } from "./timer.js";
import { Navigator } from "./navigator.js";
import { EventReporter } from "./events.js";
import { Marks } from "./marks.js";

const root = document.getElementById("exam");
const attemptId = root.dataset.attempt;
const base = `/api/v1/attempts/${attemptId}`;
const $ = (id) => document.getElementById(id);
const marks = new Marks(attemptId);

const SAVE_TEXT = {
  saved: "All answers saved",
  saving: "Saving…",
  offline: "Offline: answers kept on this device, retrying…",
  error: "Not saved yet, retrying…",
};

let items = []; // [{ref, kind, position, answered, flagged}]
let current = 0;
const loaded = new Map(); // ref -> item as the API gave it, with local changes applied
let startedAtMs = 0;
let serverOffsetMs = 0; // server time minus this browser's time, from the last sync
let leaving = false;
let leaveItem = () => {}; // lets the item on screen go (the scenario editor)
let submitted = false; // the dialog shows the submitted answers' receipt

const serverNow = () => Date.now() + serverOffsetMs;

const autosave = new Autosave({
  attemptId,
  // A seq floor that grows with the exam's own time (tenths of a second), so a fresh
  // browser after a crash still writes above what the old one sent.
  clockSeq: () => Math.max(1, Math.floor((serverNow() - startedAtMs) / 100)),
  onState: (state, detail) => {
    const el = $("save-state");
    el.dataset.state = state;
    el.textContent =
      state === "refused" ? `Not saved: ${detail}. Change the answer and it is saved again.` : SAVE_TEXT[state] || state;
  },
  onSaved: () => {},
  onReceipt: (receipt) => showReceipt(receipt),
  onClosed: () => finish(),
});

const reporter = new EventReporter({
  attemptId,
  context: () => {
    const slot = items[current];
    if (!slot) return {};
    const item = loaded.get(slot.ref);
    return item && item.kind === "scenario" ? { ref: slot.ref, path: item.openFile || "" } : { ref: slot.ref };
  },
});

const navigator_ = new Navigator({ list: $("navigator-list"), onSelect: (i) => show(i, true) });

const countdown = new Countdown({
  display: $("timer"),
  warning: $("time-warning"),
  attemptId,
  fetchRemaining: async () => (await syncState()).remaining_seconds,
  onExpire: () => expire(),
});

async function syncState() {
  const state = await api("GET", base);
  if (state.status !== "in_progress") {
    finish();
    return state;
  }
  serverOffsetMs = Date.parse(state.deadline_at) - state.remaining_seconds * 1000 - Date.now();
  startedAtMs = Date.parse(state.started_at);
  // Time credited for an outage moves the deadline: the warnings count from the new one.
  countdown.total = (Date.parse(state.deadline_at) - startedAtMs) / 1000;
  showCredit(state.credited_seconds);
  // An answer still on its way would make this receipt old news; its ack brings the new one.
  if (!autosave.hasPending()) showReceipt(state.answers_receipt);
  return state;
}

function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return [minutes && `${minutes} min`, rest && `${rest} s`].filter(Boolean).join(" ");
}

function showCredit(seconds) {
  const note = $("time-credit");
  if (!seconds) {
    note.hidden = true;
    return;
  }
  const text = `Time credited: ${duration(seconds)} added to your exam because the service was unavailable. The time left includes it.`;
  if (note.textContent !== text) note.textContent = text; // announced once, not every sync
  note.hidden = false;
}

function showReceipt(receipt) {
  if (!receipt || submitted) return;
  $("receipt-hash").textContent = receipt;
}

function itemState(ref) {
  return items.find((i) => i.ref === ref);
}

function markLocal(ref, { answered, flagged }) {
  const item = itemState(ref);
  if (answered !== undefined) item.answered = answered;
  if (flagged !== undefined) item.flagged = flagged;
  navigator_.render(items, current);
}

async function loadItem(ref) {
  if (loaded.has(ref)) return loaded.get(ref);
  const item = await api("GET", `${base}/items/${encodeURIComponent(ref)}`);
  const unsaved = autosave.unsaved(ref);
  if (unsaved) {
    // Changes this device made that the server has not acknowledged yet win.
    if (item.kind === "scenario") item.files = { ...item.files, ...unsaved.files };
    else item.answer = unsaved.choices;
    item.flagged = unsaved.flagged;
  }
  loaded.set(ref, item);
  return item;
}

function payloadOf(item) {
  if (item.kind === "scenario") {
    const files = {};
    for (const path of item.editable) files[path] = item.files[path];
    return { files, flagged: item.flagged };
  }
  return { choices: item.answer, flagged: item.flagged };
}

async function show(index, focus) {
  current = Math.max(0, Math.min(index, items.length - 1));
  history.replaceState(null, "", `#q${current + 1}`);
  navigator_.render(items, current);
  const slot = items[current];
  const label = slot.kind === "scenario" ? "Scenario" : "Question";
  $("prev").disabled = current === 0;
  $("next").disabled = current === items.length - 1;
  const body = $("item-body");
  // Until the new item is there, the old one cannot be answered by mistake, and the
  // heading still names what is shown.
  body.inert = true;
  body.setAttribute("aria-busy", "true");
  try {
    const item = await loadItem(slot.ref);
    const shown = item.kind === "scenario" ? await renderScenario(item) : { element: renderMcq(item) };
    if (items[current].ref !== slot.ref) {
      if (shown.destroy) shown.destroy();
      return; // moved on meanwhile
    }
    leaveItem();
    leaveItem = shown.destroy || (() => {});
    body.replaceChildren(shown.element);
    updateFlag(item.flagged);
  } catch (err) {
    if (items[current].ref !== slot.ref) return;
    const p = document.createElement("p");
    p.className = "form-error";
    p.textContent = `This item could not be loaded (${err.message}) Try again in a moment.`;
    body.replaceChildren(p);
  }
  $("item-heading").textContent = `${label} ${current + 1} of ${items.length}`;
  body.inert = false;
  body.removeAttribute("aria-busy");
  if (focus) $("item-heading").focus();
}

// The scenario workbench (and with it the code editor) loads the first time a scenario
// is shown. An edit is saved as any answer is: the item's editable files, seq and all.
async function renderScenario(item) {
  const { renderScenario: workbench } = await import("./workbench.js");
  return workbench(item, {
    base,
    onEdit: (edited) => {
      autosave.save(edited.ref, payloadOf(edited), 700);
      markLocal(edited.ref, { answered: true });
    },
    settled: () => autosave.settled(),
    styleNonce: root.dataset.styleNonce,
  });
}

function renderMcq(item) {
  const wrap = document.createElement("div");
  // The stem is Markdown rendered by the server (raw HTML escaped there): it may hold
  // paragraphs and code blocks, so it labels the group rather than sitting in a legend.
  const stem = document.createElement("div");
  stem.className = "stem";
  stem.id = `stem-${item.ref}`;
  stem.innerHTML = item.stem_html;
  const fieldset = document.createElement("fieldset");
  fieldset.setAttribute("aria-labelledby", stem.id);
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.id = `hint-${item.ref}`;
  hint.textContent = item.multiple ? "Choose all that apply." : "Choose one answer.";
  fieldset.setAttribute("aria-describedby", hint.id);
  fieldset.append(hint);
  wrap.append(stem, fieldset);
  for (const option of item.options) {
    const label = document.createElement("label");
    label.className = "option";
    const input = document.createElement("input");
    input.type = item.multiple ? "checkbox" : "radio";
    input.name = `answer-${item.ref}`;
    input.value = option.id;
    input.checked = item.answer.includes(option.id);
    input.addEventListener("change", () => {
      const chosen = [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);
      item.answer = chosen.sort();
      autosave.save(item.ref, payloadOf(item));
      markLocal(item.ref, { answered: chosen.length > 0 });
    });
    const text = document.createElement("span");
    text.innerHTML = option.html;
    label.append(input, text);
    const row = document.createElement("div");
    row.className = "option-row";
    const strike = document.createElement("button");
    strike.type = "button";
    strike.className = "strike";
    strike.textContent = "Strike out";
    strike.setAttribute("aria-label", `Strike out option ${option.id}`);
    const showStruck = (struck) => {
      label.classList.toggle("struck", struck);
      strike.setAttribute("aria-pressed", String(struck));
    };
    showStruck(marks.isStruck(item.ref, option.id));
    strike.addEventListener("click", () => showStruck(marks.toggleStruck(item.ref, option.id)));
    row.append(label, strike);
    fieldset.append(row);
  }
  wrap.append(noteFor(item));
  return wrap;
}

function noteFor(item) {
  const details = document.createElement("details");
  details.className = "note";
  const summary = document.createElement("summary");
  summary.textContent = "My note on this item";
  const area = document.createElement("textarea");
  area.id = `note-${item.ref}`;
  area.rows = 3;
  area.value = marks.note(item.ref);
  area.setAttribute("aria-label", "My note on this item (kept on this device, not graded)");
  area.addEventListener("input", () => marks.setNote(item.ref, area.value));
  details.open = area.value !== "";
  details.append(summary, area);
  return details;
}

function updateFlag(flagged) {
  const button = $("flag");
  button.setAttribute("aria-pressed", String(flagged));
  button.textContent = flagged ? "Flagged for review" : "Flag for review";
}

$("flag").addEventListener("click", async () => {
  const slot = items[current];
  const item = await loadItem(slot.ref);
  item.flagged = !item.flagged;
  updateFlag(item.flagged);
  autosave.save(item.ref, payloadOf(item));
  markLocal(item.ref, { flagged: item.flagged, answered: item.kind === "scenario" ? true : undefined });
});
$("prev").addEventListener("click", () => show(current - 1, true));
$("next").addEventListener("click", () => show(current + 1, true));

function listItems(numbers) {
  return numbers.length ? numbers.join(", ") : "none";
}

$("submit-open").addEventListener("click", () => {
  const unanswered = items.filter((i) => !i.answered).map((i) => items.indexOf(i) + 1);
  const flagged = items.filter((i) => i.flagged).map((i) => items.indexOf(i) + 1);
  const summary = $("submit-summary");
  summary.replaceChildren();
  const add = (text, id) => {
    const p = document.createElement("p");
    p.id = id;
    p.textContent = text;
    summary.append(p);
  };
  add(`Unanswered (${unanswered.length}): ${listItems(unanswered)}`, "unanswered-list");
  add(`Flagged for review (${flagged.length}): ${listItems(flagged)}`, "flagged-list");
  const toReview = [...new Set([...unanswered, ...flagged])].sort((a, b) => a - b);
  if (toReview.length) {
    const list = document.createElement("ul");
    list.className = "review-jumps";
    list.setAttribute("aria-label", "Go back to an item");
    for (const number of toReview) {
      const li = document.createElement("li");
      const go = document.createElement("button");
      go.type = "button";
      const why = [unanswered.includes(number) && "unanswered", flagged.includes(number) && "flagged"].filter(Boolean);
      go.textContent = `Go to ${items[number - 1].kind === "scenario" ? "scenario" : "question"} ${number} (${why.join(", ")})`;
      go.addEventListener("click", () => {
        $("submit-dialog").close();
        show(number - 1, true);
      });
      li.append(go);
      list.append(li);
    }
    summary.append(list);
  }
  if (autosave.hasPending()) {
    add("Some answers are still being saved; submitting waits for them.", "pending-note");
  } else {
    syncState().catch(() => {}); // the receipt as the server has it now
  }
  $("submit-dialog").showModal();
});
$("submit-cancel").addEventListener("click", () => $("submit-dialog").close());
$("leave-exam").addEventListener("click", () => $("leave-dialog").showModal());
$("leave-cancel").addEventListener("click", () => $("leave-dialog").close());
$("leave-confirm").addEventListener("click", async () => {
  const button = $("leave-confirm");
  button.disabled = true;
  button.textContent = "Saving…";
  // Unsent answers are kept on this device and sent when the exam is opened again:
  // leaving never waits long for a network that is down.
  await Promise.race([autosave.settled(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  window.location.assign("/exams");
});
$("submit-confirm").addEventListener("click", async () => {
  const button = $("submit-confirm");
  button.disabled = true;
  button.textContent = "Saving and submitting…";
  try {
    await autosave.settled();
    const state = await api("POST", `${base}/submit`);
    showSubmitted(state.receipt || state.answers_receipt);
  } catch (err) {
    button.disabled = false;
    button.textContent = "Submit now";
    const p = document.createElement("p");
    p.className = "form-error";
    p.setAttribute("role", "alert");
    p.textContent = err.message;
    $("submit-summary").append(p);
  }
});

// The candidate's proof of submission: the receipt of exactly the answers that are
// scored (app/attempts/receipts.py), shown before leaving the exam.
function showSubmitted(receipt) {
  submitted = true;
  countdown.stop();
  $("submit-title").textContent = "Exam submitted";
  const done = document.createElement("p");
  done.id = "submitted-note";
  done.textContent = "Your exam is submitted and your answers are being scored.";
  $("submit-summary").replaceChildren(done);
  $("receipt-label").textContent = "Receipt of your submitted answers";
  $("receipt-hash").textContent = receipt;
  $("receipt-note").textContent =
    "A fingerprint (SHA-256) of exactly the answers that are scored. Keep a copy: it shows which answers the service received. Your result page shows it too.";
  $("submit-warning").hidden = true;
  $("submit-cancel").hidden = true;
  $("submit-confirm").hidden = true;
  $("submit-done").hidden = false;
  $("submit-done").focus();
}
$("submit-done").addEventListener("click", () => goToResult());
$("submit-dialog").addEventListener("close", () => {
  if (submitted) goToResult();
});

async function expire() {
  $("time-warning").hidden = false;
  $("time-warning").textContent = "Time is up. Your saved answers are being submitted.";
  try {
    await Promise.race([autosave.settled(), new Promise((r) => setTimeout(r, 4000))]);
    await api("POST", `${base}/submit`);
  } catch (err) {
    // the server submits overdue attempts by itself
  }
  finish();
}

function finish() {
  if (submitted) return; // the receipt is on screen; the candidate moves on from there
  goToResult();
}

function goToResult() {
  if (leaving) return;
  leaving = true;
  window.location.assign(`/attempts/${attemptId}/result`);
}

async function start() {
  try {
    const state = await syncState();
    if (state.status !== "in_progress") return;
    items = state.items;
    for (const item of items) {
      const unsaved = autosave.unsaved(item.ref);
      if (unsaved) {
        item.flagged = unsaved.flagged;
        item.answered = unsaved.files ? true : unsaved.choices.length > 0;
      }
    }
    countdown.sync(state.remaining_seconds);
    countdown.start();
    reporter.start();
    const fromHash = Number((location.hash.match(/^#q(\d+)$/) || [])[1]);
    await show(fromHash ? fromHash - 1 : 0, false);
    if (autosave.hasPending()) autosave.flushSoon(0); // what a closed tab left unsent
  } catch (err) {
    $("item-heading").textContent = "The exam could not be loaded";
    const p = document.createElement("p");
    p.className = "form-error";
    p.textContent =
      err instanceof ApiError && err.status === 401
        ? "You are signed out. Sign in again; your saved answers are kept."
        : `${err.message} Reload the page to try again.`;
    $("item-body").replaceChildren(p);
  }
}

start();
