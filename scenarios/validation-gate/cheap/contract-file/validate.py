"""Row validation against the data contract, run before every training job."""

import math

import yaml

with open("contract.yaml") as _fh:
    CONTRACT = yaml.safe_load(_fh)  # the producers' contract, read once


def _number(value, kind):
    """The value as the declared kind, or None if it is not exactly that."""
    if isinstance(value, bool):
        return None
    if kind == "int":
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        try:
            return int(str(value).strip())
        except ValueError:
            return None
    if isinstance(value, int | float):
        num = float(value)
    else:
        try:
            num = float(str(value).strip())
        except ValueError:
            return None
    return num if math.isfinite(num) else None


def check_row(row, contract):
    reasons = []
    for col, rule in CONTRACT["columns"].items():
        value = row.get(col)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            reasons.append(f"{col}: missing")
            continue
        if rule["type"] in ("int", "float"):
            num = _number(value, rule["type"])
            if num is None:
                reasons.append(f"{col}: not a finite {rule['type']}")
                continue
            if num < rule.get("{{ min_key }}", -math.inf) or num > rule.get("{{ max_key }}", math.inf):
                reasons.append(f"{col}: out of range")
        elif rule["type"] == "str":
            if not isinstance(value, str):
                reasons.append(f"{col}: not text")
            elif "{{ allowed_key }}" in rule and value not in rule["{{ allowed_key }}"]:
                reasons.append(f"{col}: not allowed")
    return reasons


def split_rows(rows, contract):
    accepted, rejected = [], []
    for row in rows:
        reasons = check_row(row, contract)
        if reasons:
            rejected.append({"row": row, "reasons": reasons})
        else:
            accepted.append(row)
    return accepted, rejected
