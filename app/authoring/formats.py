"""`assay items stats` output: JSON (API.md), CSV with the same columns, or a table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

COLUMNS = [
    "item_id",
    "version",
    "n",
    "facility",
    "point_biserial",
    "discrimination",
    "upper_facility",
    "lower_facility",
    "omit_rate",
    "mean_seconds",
    "exposure",
    "flags",
]


def as_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), indent=2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def as_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The JSON columns, one row per item version; flags joined by ';', and one
    ``share_<option>`` column per option id the items use."""
    options = sorted({d["option"] for r in rows for d in r.get("distractors", [])})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + [f"share_{o}" for o in options])
    for r in rows:
        shares = {d["option"]: d["share"] for d in r.get("distractors", [])}
        writer.writerow([_cell(r[c]) for c in COLUMNS] + [_cell(shares.get(o)) for o in options])
    return out.getvalue()


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def as_table(rows: Sequence[dict[str, Any]]) -> str:
    """Aligned columns for a terminal, two decimals."""
    headers = ["item", "v", "n", "p", "r_pb", "D", "omit", "flags"]
    keys = [
        "item_id",
        "version",
        "n",
        "facility",
        "point_biserial",
        "discrimination",
        "omit_rate",
        "flags",
    ]
    body = [[_short(r[k]) for k in keys] for r in rows]
    widths = [max([len(h), *(len(b[i]) for b in body)]) for i, h in enumerate(headers)]
    numeric = {1, 2, 3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [line(headers), line(["-" * w for w in widths])] + [line(b) for b in body]
    if not rows:
        lines.append("no scored responses yet")
    return "\n".join(lines)
