"""The PR bot's side of the gate: the pull-request comment and who hears about a
failed gate, as reason_routing.yaml says."""

import yaml


def load_routing(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


def route(result, routing):
    """``[(code, label, who)]`` for each reason of a failed gate; ``who`` is
    ``"page:<team>"`` or ``"notify:<team>"``."""
    actions = []
    for text in result["reasons"]:
        code = text.partition(":")[0].strip()
        rule = routing.get(code, routing["default"])
        who = f"page:{rule['page']}" if "page" in rule else f"notify:{rule['notify']}"
        actions.append((code, rule["label"], who))
    return actions


def comment(result, routing):
    if result["passed"]:
        return f"Evaluation gate passed: holdout accuracy {result['accuracy']:.3f} on {result['holdout_rows']} rows."
    lines = ["Evaluation gate FAILED, the build is not promoted:"]
    for text, (_, label, who) in zip(result["reasons"], route(result, routing), strict=True):
        lines.append(f"- {text}  [{label}, {who}]")
    return "\n".join(lines)
