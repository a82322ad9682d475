"""Row validation against the data contract, run before every training job."""


def _number(value, kind):
    try:
        return int(value) if kind == "int" else float(value)
    except (TypeError, ValueError):
        return None


def check_row(row, contract):
    reasons = []
    for col, rule in contract["columns"].items():
        value = row.get(col)
        if value is None or value == "":
            reasons.append(f"{col}: missing")
            continue
        if rule["type"] in ("int", "float"):
            num = _number(value, rule["type"])
            if num is None:
                reasons.append(f"{col}: not a number")
                continue
            if num < rule.get("{{ min_key }}", float("-inf")) and num > rule.get("{{ max_key }}", float("inf")):
                reasons.append(f"{col}: out of range")
        elif rule["type"] == "str":
            if "{{ allowed_key }}" in rule and value not in rule["{{ allowed_key }}"]:
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
