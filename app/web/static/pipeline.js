// "Run pipeline" on the scenario screen: runs the workspace's entry command on the
// candidate's saved files in the sandbox and shows what it printed. The output is
// only shown; it never counts towards the grade.

import { api, pollRun } from "./api.js";
import { el } from "./dom.js";

const WAIT_MS = 180000;

function summaryOf(run) {
  if (run.status === "error") return "The pipeline could not start this time; the run was not counted. Try again.";
  const seconds = run.duration_ms === null ? "" : ` in ${(run.duration_ms / 1000).toFixed(2)} s`;
  let text;
  if (run.timed_out) text = "The pipeline was stopped at its time limit.";
  else if (run.exit_code === 0) text = `The pipeline finished${seconds} with exit code 0.`;
  else if (run.exit_code < 0) text = `The pipeline was stopped${seconds}: it went over a CPU, memory or process limit.`;
  else text = `The pipeline failed${seconds} with exit code ${run.exit_code}.`;
  if (run.truncated) text += " Its output was cut at 64 KiB.";
  return text;
}

// The section for one scenario item: {item, base, settled} where settled() resolves
// once autosave has sent every change (the run works on saved files).
export function renderPipeline({ item, base, settled }) {
  const ref = encodeURIComponent(item.ref);
  const section = el("section", { class: "runs pipeline", "aria-labelledby": `pipeline-title-${item.ref}` });
  const title = el("h4", { id: `pipeline-title-${item.ref}`, text: "Pipeline" });
  const command = el("p", { class: "hint" }, "Runs ", el("code", { text: item.pipeline_command }),
    " on your saved files. What it prints is for you to read; it is not graded.");
  const button = el("button", { type: "button", id: "run-pipeline", text: "Run pipeline" });
  const left = el("span", { id: "pipeline-runs-left" });
  const status = el("p", { id: "pipeline-status", role: "status", class: "pipeline-status" });
  const outputId = `pipeline-output-${item.ref}`;
  const output = el("div", {
    id: outputId,
    class: "pipeline-output",
    role: "region",
    "aria-label": "Pipeline output",
    tabindex: "0",
    hidden: "",
  });

  const setLeft = () => {
    const n = item.pipeline_runs_left;
    left.textContent = ` ${n} run${n === 1 ? "" : "s"} left`;
    button.disabled = n <= 0;
  };
  setLeft();

  function show(run) {
    const stream = (label, text, cls) => [
      el("h5", { text: label }),
      el("pre", { class: cls }, text === "" ? el("span", { class: "hint", text: "(nothing)" }) : text),
    ];
    output.replaceChildren(
      el("p", { class: "pipeline-command" }, "$ ", el("code", { text: run.command })),
      ...stream("Output (stdout)", run.stdout, "stdout"),
      ...stream("Errors (stderr)", run.stderr, "stderr"),
    );
    if (run.truncated) output.append(el("p", { class: "hint", text: "Output was cut at 64 KiB per stream." }));
    output.hidden = run.status !== "done";
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Saving your files, then running the pipeline…";
    try {
      await settled();
      const queued = await api("POST", `${base}/scenarios/${ref}/pipeline-runs`);
      item.pipeline_runs_left = Math.max(0, item.pipeline_runs_left - 1);
      setLeft();
      button.disabled = true;
      status.textContent = "Running the pipeline…";
      const run = await pollRun(`${base}/scenarios/${ref}/pipeline-runs/${queued.run_id}`, {
        firstDelayMs: 400,
        waitMs: WAIT_MS,
        slowMessage: "The pipeline is taking longer than expected. Your files are saved; try again later.",
      });
      item.lastPipelineRun = run; // shown again when the candidate comes back to this item
      show(run);
      status.textContent = summaryOf(run);
      // A run that could not start is not counted: ask the server what is left.
      const fresh = await api("GET", `${base}/items/${ref}`);
      item.pipeline_runs_left = fresh.pipeline_runs_left;
    } catch (err) {
      status.textContent = err.message;
    }
    setLeft();
  });

  if (item.lastPipelineRun) {
    show(item.lastPipelineRun);
    status.textContent = summaryOf(item.lastPipelineRun);
  }
  section.append(title, command, button, left, status, output);
  return section;
}
