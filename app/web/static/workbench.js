// The scenario workbench: the brief, the workspace's files (a tree and the code editor)
// and the output of the public checks and the pipeline, side by side on a wide screen
// and stacked on a narrow one (assay.css). Loaded by the exam screen the first time a
// scenario is shown, so a multiple-choice exam never loads the editor.

import { api, pollRun } from "./api.js";
import { el } from "./dom.js";
import { EDITOR_HELP, createEditor, fileState, languageName } from "./editor.js";
import { fileTree } from "./filetree.js";
import { renderPipeline } from "./pipeline.js";

const RUN_WAIT_MS = 180000;

/**
 * The workbench for a scenario item as the API gave it (its files with this device's
 * unsaved changes applied). `base` is the attempt's API path; `onEdit(item)` records an
 * edit of `item.files` (autosave); `settled()` resolves once every edit is saved;
 * `styleNonce` is the nonce the page's policy admits the editor's styles by.
 * Returns {element, destroy}: destroy() lets the editor go when another item is shown.
 */
export function renderScenario(item, { base, onEdit, settled, styleNonce }) {
  const ref = item.ref;
  const editable = new Set(item.editable);
  const paths = Object.keys(item.files);

  // The brief: its own scrolling column, with a shadow where more text follows.
  const briefTitle = el("h3", { id: `brief-title-${ref}`, class: "wb-title", text: item.title });
  const brief = el("div", { class: "brief", tabindex: "0", role: "region", "aria-label": "Brief" });
  brief.innerHTML = item.brief_html; // Markdown rendered by the server, HTML escaped
  const briefColumn = el("section", { class: "wb-brief", "aria-labelledby": briefTitle.id }, briefTitle, brief);

  // The files: a tree beside the editor; each file keeps its own editor state.
  const helpId = `editor-help-${ref}`;
  const help = el("p", { class: "editor-help", id: helpId });
  const fileBar = el("p", { class: "wb-file", id: `open-file-${ref}` });
  item.editorStates = item.editorStates || new Map();
  const stateOf = (path) => {
    if (!item.editorStates.has(path)) {
      const canEdit = editable.has(path);
      item.editorStates.set(
        path,
        fileState({
          path,
          text: item.files[path],
          readOnly: !canEdit,
          label: `${path}${canEdit ? "" : " (read only)"}`,
          describedBy: helpId,
          styleNonce,
          onChange: (text) => {
            item.files[path] = text;
            onEdit(item);
          },
          onUpdate: (state) => item.editorStates.set(path, state),
        }),
      );
    }
    return item.editorStates.get(path);
  };
  const first = item.editable.find((p) => p in item.files) || [...paths].sort()[0];
  const shown = paths.includes(item.openFile) ? item.openFile : first;
  const view = createEditor(stateOf(shown));
  const tree = fileTree({ paths, editable, label: "Workspace files", onOpen: open });

  function open(path) {
    item.openFile = path;
    if (view.state !== stateOf(path)) view.setState(stateOf(path));
    tree.select(path);
    const canEdit = editable.has(path);
    fileBar.replaceChildren(
      el("code", { text: path }),
      el("span", { class: `file-mode ${canEdit ? "editable" : "read-only"}`, text: canEdit ? "editable" : "read only" }),
      el("span", { class: "hint", text: languageName(path) }),
    );
    help.textContent = canEdit ? EDITOR_HELP : "This file is read only: you can read, select and search it. Tab leaves it.";
  }
  open(shown);

  const filesTitle = el("h4", { id: `files-title-${ref}`, class: "visually-hidden", text: "Files" });
  const code = el(
    "section",
    { class: "wb-code", "aria-labelledby": filesTitle.id },
    filesTitle,
    el("div", { class: "wb-files" }, tree.element),
    el("div", { class: "wb-editor" }, fileBar, view.dom, help),
  );

  const output = el("div", { class: "wb-output" }, publicChecks(item, base, settled));
  if (item.pipeline_command) output.append(renderPipeline({ item, base, settled }));
  return { element: el("div", { class: "workbench" }, briefColumn, code, output), destroy: () => view.destroy() };
}

function publicChecks(item, base, settled) {
  const ref = encodeURIComponent(item.ref);
  const title = el("h4", { id: `checks-title-${item.ref}`, text: `Public checks: ${item.public_checks.join(", ")}` });
  const runs = el("section", { class: "runs", "aria-labelledby": title.id });
  const runButton = el("button", { type: "button", id: "run-checks", text: "Run public checks" });
  const runsLeft = el("span", { id: "runs-left" });
  const setRunsLeft = () => {
    runsLeft.textContent = ` ${item.runs_left} run${item.runs_left === 1 ? "" : "s"} left`;
    runButton.disabled = item.runs_left <= 0;
  };
  setRunsLeft();
  const outcome = el("div", { id: "run-outcome", role: "status" });
  if (item.lastCheckRun) showRun(outcome, item.lastCheckRun);
  runButton.addEventListener("click", async () => {
    runButton.disabled = true;
    outcome.textContent = "Saving your files, then running the public checks…";
    try {
      await settled();
      const queued = await api("POST", `${base}/scenarios/${ref}/runs`);
      item.runs_left = Math.max(0, item.runs_left - 1);
      outcome.textContent = "Running the public checks…";
      const run = await pollRun(`${base}/scenarios/${ref}/runs/${queued.run_id}`, {
        firstDelayMs: 500,
        waitMs: RUN_WAIT_MS,
        slowMessage: "The checks are taking longer than expected. Your files are saved; try again later.",
      });
      item.lastCheckRun = run; // shown again when the candidate comes back to this item
      showRun(outcome, run);
      // A run the grader could not start is not counted: ask the server what is left.
      const fresh = await api("GET", `${base}/items/${ref}`);
      item.runs_left = fresh.runs_left;
    } catch (err) {
      outcome.textContent = err.message;
    }
    setRunsLeft();
  });
  runs.append(title, runButton, runsLeft, outcome);
  return runs;
}


function showRun(outcome, run) {
  if (run.status === "error") {
    outcome.textContent = "The checks could not run this time; the run was not counted. Try again.";
    return;
  }
  const passed = run.checks.filter((c) => c.passed).length;
  const summary = el("p", { text: `${passed} of ${run.checks.length} public checks passed.` });
  const list = el("ul", { class: "checks" });
  for (const check of run.checks) {
    const text = `${check.passed ? "Passed" : "Failed"}: ${check.name}${check.message ? ` — ${check.message}` : ""}`;
    list.append(el("li", { class: check.passed ? "passed" : "failed", text }));
  }
  outcome.replaceChildren(summary, list);
}
