"""The Kubernetes validator judges import: strict schemas plus the API server's rules,
and the k8s-manifest scenario graded with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.grading.grader import grade_submission
from app.grading.scenarios import load_scenario
from app.grading.validators.kubernetes import (
    Finding,
    parse_quantity,
    parse_registry_listing,
    split_image,
    validate_manifests,
)

DIGEST = "sha256:" + "ab" * 32
REPO = "registry.example/ml/server"

GOOD = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: server, namespace: ml}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: server}}
    matchExpressions:
      - {{key: tier, operator: In, values: [web, api]}}
  template:
    metadata:
      labels: {{app: server, tier: api}}
    spec:
      containers:
        - name: server
          image: {REPO}@{DIGEST}
          ports:
            - {{name: http, containerPort: 9000}}
            - {{containerPort: 9100}}
          resources:
            requests: {{cpu: 500m, memory: 1Gi}}
            limits: {{cpu: "1", memory: 1536Mi}}
          readinessProbe:
            httpGet: {{path: /readyz, port: http}}
          livenessProbe:
            tcpSocket: {{port: 9100}}
---
apiVersion: v1
kind: Service
metadata: {{name: server, namespace: ml}}
spec:
  selector: {{app: server}}
  ports:
    - {{port: 80, targetPort: http}}
"""


def rules(text: str, **kw: object) -> list[str]:
    return sorted(f.rule for f in validate_manifests(text, **kw))  # type: ignore[arg-type]


def test_a_good_manifest_has_no_findings() -> None:
    assert validate_manifests(GOOD, pinned={REPO: DIGEST}) == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (("readinessProbe:", "readinesProbe:"), "schema"),  # unknown field, strict mode
        (("replicas: 2", "replicas: two"), "schema"),
        (("apiVersion: apps/v1", "apiVersion: apps/v9"), "schema"),
        (("labels: {app: server, tier: api}", "labels: {app: serving, tier: api}"), "selector"),
        (("labels: {app: server, tier: api}", "labels: {app: server, tier: db}"), "selector"),
        (("port: http}", "port: metrics}"), "probe-port"),
        (("port: 9100}", "port: 9200}"), "probe-port"),
        (("requests: {cpu: 500m", "requests: {cpu: 1500m"), "requests-limits"),
        (("memory: 1Gi}", "memory: 2Gi}"), "requests-limits"),
        (("selector: {app: server}", "selector: {app: serving}"), "service-selector"),
        (("targetPort: http", "targetPort: web"), "service-port"),
        ((f"{REPO}@{DIGEST}", f"{REPO}:2.4.1"), "image-digest"),
        ((f"{REPO}@{DIGEST}", f"{REPO}@sha256:{'cd' * 32}"), "image-digest"),
        (("kind: Service", "kind: Servise"), "schema"),
    ],
)
def test_each_rule_catches_its_fault(change: tuple[str, str], rule: str) -> None:
    old, new = change
    assert old in GOOD
    found = rules(GOOD.replace(old, new, 1), pinned={REPO: DIGEST})
    assert rule in found, found


def test_yaml_errors_and_non_objects_are_findings() -> None:
    assert rules("a: [unclosed") == ["yaml"]
    assert rules("- just\n- a list\n") == ["yaml"]


def test_yaml_11_booleans_are_what_the_cluster_sees() -> None:
    # Unquoted `on` is a boolean to the API machinery's YAML 1.1 parser: an env value
    # must be a string, so the schema refuses it.
    text = GOOD.replace(
        "          ports:",
        "          env:\n            - {name: FLAG, value: on}\n          ports:",
        1,
    )
    assert "schema" in rules(text)


def test_quantities() -> None:
    assert parse_quantity("500m") == parse_quantity("0.5")
    assert parse_quantity("1Gi") == 1024**3
    assert parse_quantity("1536Mi") == 1536 * 1024**2
    assert parse_quantity("1e3") == 1000
    assert parse_quantity(2) == 2
    for bad in ("1 Gi", "Gi", "1GB", True, None, "-"):
        assert parse_quantity(bad) is None


def test_registry_listing_and_images() -> None:
    listing = f"# comment\nREPOSITORY TAG DIGEST\n{REPO} 2.4.1 {DIGEST} 3 weeks ago\nbad line\n"
    assert parse_registry_listing(listing) == {(REPO, "2.4.1"): DIGEST}
    assert split_image(f"{REPO}:2.4.1@{DIGEST}") == (REPO, "2.4.1", DIGEST)
    assert split_image("localhost:5000/x") == ("localhost:5000/x", None, None)


def test_findings_name_the_object() -> None:
    [finding] = validate_manifests(GOOD.replace("port: 9100}", "port: 9200}"))
    assert finding == Finding(
        "probe-port",
        "Deployment/server",
        "container server: livenessProbe port 9200 is not one of the container's ports",
    )


K8S = Path(__file__).parents[2] / "scenarios" / "k8s-manifest"


@pytest.mark.sandbox
async def test_a_manifest_the_schema_or_the_selector_rule_rejects_loses_points() -> None:
    scenario = load_scenario(K8S)
    v = scenario.variant(scenario.draw_params(0))
    solution = v.solution_files["deploy/model-server.yaml"]
    right = await grade_submission(scenario, v.solution_files, params=v.params)
    assert right.score == 1.0
    typo = solution.replace("          readinessProbe:", "          readinesProbe:")
    selector = solution.replace(
        "  template:\n    metadata:\n      labels:\n        app: churn-server",
        "  template:\n    metadata:\n      labels:\n        app: churn-serving",
    ).replace("  selector:\n    app: churn-server", "  selector:\n    app: churn-serving")
    made_up = solution.replace(str(v.params["digest"]), "0" * 64)
    for wrong, lost in (
        (typo, "manifest_admitted"),
        (selector, "manifest_admitted"),
        (made_up, "image_pinned"),
    ):
        assert wrong != solution
        record = await grade_submission(
            scenario, {"deploy/model-server.yaml": wrong}, params=v.params
        )
        checks = {c.name: c for c in record.checks}
        assert record.score < 1.0 and not checks[lost].passed, (lost, record.checks)
    # The selector mismatch runs no pod at all: every check about the pods is lost too.
    record = await grade_submission(
        scenario, {"deploy/model-server.yaml": selector}, params=v.params
    )
    assert record.score <= 1 / 17
