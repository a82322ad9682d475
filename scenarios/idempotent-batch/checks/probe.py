# Inside the sandbox: run the job as a scheduler would (reruns, several dates, a
# model that fails part-way) and report what downstream would read.


def _model(inputs, fail_after=None, weights=None, on_fail=None):
    weights = weights or inputs["weights"]
    calls = {"n": 0}

    def model(customer):
        calls["n"] += 1
        if fail_after is not None and calls["n"] > fail_after:
            if on_fail is not None:
                on_fail()
            raise RuntimeError("model server went away")
        z = sum(w * customer[k] for k, w in weights.items())
        return max(0.0, min(1.0, 0.5 + z))

    return model


def _read(batch, out, date):
    return sorted([str(c), round(float(s), 6)] for c, s in batch.read_predictions(out, date))


def _dashboard(inputs, out, date):
    """A day's partition as every ml-output reader takes it: all files of the folder
    not starting with "." or "_"; what else sits in the dataset's folder is listed."""
    import csv
    import os

    folder = os.path.join(out, f"{inputs['partition_key']}={date}")
    rows, names = [], []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.startswith((".", "_")):
                continue
            names.append(name)
            try:
                with open(os.path.join(folder, name), newline="") as fh:
                    rows += [[str(r.get("customer_id")), round(float(r.get("score")), 6)] for r in csv.DictReader(fh)]
            except (OSError, ValueError, TypeError, UnicodeDecodeError):
                rows.append(["unreadable", 0.0])
    return {"rows": sorted(rows), "files": names, "dataset": sorted(os.listdir(out))}


def _visible(out):
    """Every object a reader of any layout could take (no "."- or "_"-prefixed name on
    its path), with a digest of its bytes."""
    import hashlib
    import os

    seen = []
    for root, dirs, files in os.walk(out):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                seen.append([os.path.relpath(path, out), hashlib.sha256(fh.read()).hexdigest()])
    return seen


def step_reruns(inputs):
    import tempfile

    import batch

    out = tempfile.mkdtemp()
    result = {}
    for run in inputs["runs"]:
        model = _model(inputs, weights=run.get("weights"))
        batch.score_batch([dict(c) for c in run["customers"]], out, run["date"], model)
        result.setdefault("after_each", []).append({d: _read(batch, out, d) for d in inputs["dates"]})
        result.setdefault("dashboard", []).append({d: _dashboard(inputs, out, d) for d in inputs["dates"]})
    return result


def step_crash_leaves_no_partial_output(inputs):
    import tempfile

    import batch

    out = tempfile.mkdtemp()
    crash = inputs["crash"]
    seen = []
    # a crash on a date with no output yet, then a good run, then a crash on a rerun;
    # what readers see at the moment of the failure is what a killed node leaves
    for fail_after in (crash["fail_after"], None, crash["fail_after"]):
        before = {"rows": _read(batch, out, crash["date"]), "visible": _visible(out)}
        at_kill = {}

        def snapshot():
            try:
                at_kill.update(rows=_read(batch, out, crash["date"]), visible=_visible(out))
            except Exception as exc:  # a reader that fails on what it finds
                at_kill.update(rows=f"raised {type(exc).__name__}", visible=None)

        try:
            model = _model(inputs, fail_after, on_fail=snapshot)
            batch.score_batch([dict(c) for c in crash["customers"]], out, crash["date"], model)
            raised = False
        except RuntimeError:
            raised = True
        seen.append({"raised": raised, "rows": _read(batch, out, crash["date"]),
                     "dashboard": _dashboard(inputs, out, crash["date"]), "before": before,
                     "at_kill": at_kill or None})
    # a rerun killed once every score is computed, while the rows are being written:
    # the node dies when one customer's row is turned into text
    before = {"rows": _read(batch, out, crash["date"]), "visible": _visible(out)}
    at_kill = {}

    def snapshot():
        try:
            at_kill.update(rows=_read(batch, out, crash["date"]), visible=_visible(out))
        except Exception as exc:
            at_kill.update(rows=f"raised {type(exc).__name__}", visible=None)

    customers = [dict(c) for c in crash["customers"]]
    victim = customers[len(customers) // 2]
    victim["customer_id"] = _DiesWhenWritten(victim["customer_id"], snapshot)
    try:
        batch.score_batch(customers, out, crash["date"], _model(inputs))
        raised = False
    except RuntimeError:
        raised = True
    seen.append({"raised": raised, "rows": _read(batch, out, crash["date"]),
                 "dashboard": _dashboard(inputs, out, crash["date"]), "before": before,
                 "at_kill": at_kill or None})
    return seen


class _DiesWhenWritten:
    """A customer id that behaves as its text everywhere (equality, hashing, order) but
    kills the node the moment it is written out as text."""

    def __init__(self, text, on_kill):
        self.text, self.on_kill = text, on_kill

    def _die(self, *args):
        self.on_kill()
        raise RuntimeError("node pre-empted")

    __str__ = __repr__ = __format__ = _die

    def __eq__(self, other):
        return self.text == (other.text if isinstance(other, _DiesWhenWritten) else other)

    def __hash__(self):
        return hash(self.text)

    def __lt__(self, other):
        return self.text < (other.text if isinstance(other, _DiesWhenWritten) else other)
