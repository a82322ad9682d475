"""Kubernetes manifests checked the way the cluster would check them, for judges.

Two layers, both run in the grader on the manifest text (never executed):

1. **Schema**: each object against the OpenAPI-derived JSON schema of its kind at a pinned
   Kubernetes version, in strict mode (an unknown field, such as a misspelt
   ``readinesProbe``, is an error, as ``kubectl apply --validate=strict`` makes it). The
   schemas ship with the ``kubernetes-validate`` package; nothing is fetched.
2. **Semantics** the API server and the controllers enforce, which no schema can:
   a workload's selector selects its own pod template; every probe's port is one of the
   container's ports (by name or number); resource requests do not exceed limits; each
   Service selects the pods of a workload in the same file and targets a port they
   expose; images are pinned by the digest the registry lists for them.

YAML is parsed with PyYAML's ``safe_load_all``: YAML 1.1, as the Kubernetes API
machinery's own parser (``yes``/``no``/``on``/``off`` are booleans there too, so a
schema error on an unquoted ``on`` is what the cluster would say).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import yaml

KUBERNETES_VERSION = "1.33.0"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]?)$"
)
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


@dataclass(frozen=True)
class Finding:
    """One thing the cluster would refuse or that would not work. ``rule`` is stable
    (judges count by it); ``where`` names the object; ``message`` is for the candidate."""

    rule: str
    where: str
    message: str


class ManifestError(ValueError):
    """The text is not YAML, or a document is not a Kubernetes object."""


def parse_manifests(text: str) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ManifestError(f"not valid YAML: {exc}") from exc
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
            raise ManifestError("every document must be a Kubernetes object with a kind")
        if not isinstance(doc.get("apiVersion"), str):
            raise ManifestError(f"{doc['kind']}: apiVersion is missing")
    return docs


def _name(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{doc.get('kind')}/{name or '?'}"


def schema_findings(doc: Mapping[str, Any], version: str = KUBERNETES_VERSION) -> list[Finding]:
    """The object against its kind's strict schema; a kind the schemas do not know is a
    finding too (the API server would not know it either)."""
    validator = _validator(str(doc.get("kind")), str(doc.get("apiVersion")), version)
    if validator is None:
        return [
            Finding(
                "schema",
                _name(doc),
                f"no kind {doc.get('kind')} in {doc.get('apiVersion')} on Kubernetes {version}",
            )
        ]
    errors = sorted(validator.iter_errors(dict(doc)), key=lambda e: [str(p) for p in e.path])
    return [
        Finding("schema", _name(doc), f"{'.'.join(str(p) for p in e.path) or '(top)'}: {e.message}")
        for e in errors[:5]
    ]


@lru_cache(maxsize=64)
def _validator(kind: str, api_version: str, version: str) -> Any:
    """The strict JSON-schema validator of one kind, from the schemas that ship with the
    ``kubernetes-validate`` package (read once per process; nothing is fetched)."""
    import json
    from importlib import resources

    import jsonschema
    from referencing import Registry, Resource

    # rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = root / f"v{version}-local-strict"
    target = folder / f"{kind.lower()}-{group_version}.json"
    if not target.is_file():
        return None
    schema = json.loads(target.read_text(encoding="utf-8"))
    definitions = _definitions(version)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=4)
def _definitions(version: str) -> Any:
    import json
    from importlib import resources

    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    path = folder / f"v{version}-local-strict" / "_definitions.json"
    return json.loads(path.read_text(encoding="utf-8"))


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity (``500m``, ``1.5Gi``, ``2``, ``1e3``) as a number;
    None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    m = _QUANTITY.fullmatch(value.strip())
    if m is None:
        return None
    try:
        return Decimal(m.group(1)) * _SUFFIX[m.group(2)]
    except InvalidOperation:
        return None


def _labels_match(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a set of labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key"), expr.get("operator")
        values = expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _pod_template(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = doc.get("spec") or {}
    template = spec.get("template") or {}
    return template if isinstance(template, dict) else {}


def _containers(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for key in ("initContainers", "containers"):
        for c in pod_spec.get(key) or []:
            if isinstance(c, dict):
                out.append(c)
    return out


def _ports(container: Mapping[str, Any]) -> tuple[set[str], set[int]]:
    names: set[str] = set()
    numbers: set[int] = set()
    for p in container.get("ports") or []:
        if not isinstance(p, dict):
            continue
        if isinstance(p.get("name"), str):
            names.add(p["name"])
        if isinstance(p.get("containerPort"), int):
            numbers.add(p["containerPort"])
    return names, numbers


def _port_exists(port: Any, names: set[str], numbers: set[int]) -> bool:
    if isinstance(port, str) and not port.isdigit():
        return port in names
    try:
        return int(port) in numbers
    except (TypeError, ValueError):
        return False


def workload_findings(doc: Mapping[str, Any]) -> list[Finding]:
    where = _name(doc)
    out: list[Finding] = []
    spec = doc.get("spec") or {}
    template = _pod_template(doc)
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = spec.get("selector")
    if doc.get("kind") != "Job":
        if not isinstance(selector, dict) or not (
            selector.get("matchLabels") or selector.get("matchExpressions")
        ):
            out.append(Finding("selector", where, "spec.selector is empty or missing"))
        elif not _labels_match(selector, labels):
            out.append(
                Finding(
                    "selector",
                    where,
                    "spec.selector does not match spec.template.metadata.labels",
                )
            )
    pod_spec = template.get("spec") or {}
    for c in _containers(pod_spec):
        cname = c.get("name", "?")
        names, numbers = _ports(c)
        for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = c.get(probe_key)
            if not isinstance(probe, dict):
                continue
            for handler in ("httpGet", "tcpSocket", "grpc"):
                action = probe.get(handler)
                if (
                    isinstance(action, dict)
                    and "port" in action
                    and not _port_exists(action["port"], names, numbers)
                ):
                    out.append(
                        Finding(
                            "probe-port",
                            where,
                            f"container {cname}: {probe_key} port {action['port']!r} "
                            "is not one of the container's ports",
                        )
                    )
        resources = c.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        for resource, limit in limits.items():
            if resource not in requests:
                continue
            req_q, lim_q = parse_quantity(requests[resource]), parse_quantity(limit)
            if req_q is None or lim_q is None:
                out.append(
                    Finding("quantity", where, f"container {cname}: {resource} is not a quantity")
                )
            elif req_q > lim_q:
                out.append(
                    Finding(
                        "requests-limits",
                        where,
                        f"container {cname}: the {resource} request exceeds its limit",
                    )
                )
    return out


def service_findings(
    service: Mapping[str, Any], workloads: Iterable[Mapping[str, Any]]
) -> list[Finding]:
    """A Service with a selector must select the pods of a workload in the same namespace
    and target a port those pods' containers expose."""
    where = _name(service)
    spec = service.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        return []  # a Service without selector is managed by hand: nothing to check
    namespace = (service.get("metadata") or {}).get("namespace")
    selected = []
    for w in workloads:
        if (w.get("metadata") or {}).get("namespace") != namespace:
            continue
        labels = (_pod_template(w).get("metadata") or {}).get("labels") or {}
        if _labels_match({"matchLabels": selector}, labels):
            selected.append(w)
    if not selected:
        return [Finding("service-selector", where, "the selector matches no pods in this file")]
    out: list[Finding] = []
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        target = port.get("targetPort", port.get("port"))
        ok = False
        for w in selected:
            for c in _containers(_pod_template(w).get("spec") or {}):
                names, numbers = _ports(c)
                ok = ok or _port_exists(target, names, numbers)
        if not ok:
            out.append(
                Finding(
                    "service-port",
                    where,
                    f"targetPort {target!r} is not a port of the selected pods",
                )
            )
    return out


def parse_registry_listing(text: str) -> dict[tuple[str, str], str]:
    """A registry listing (``REPOSITORY TAG DIGEST`` rows, a header and ``#`` comments
    allowed) as ``{(repository, tag): digest}``."""
    out: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or line.lstrip().startswith("#"):
            continue
        repo, tag, digest = parts[0], parts[1], parts[2]
        if _DIGEST.fullmatch(digest):
            out[(repo, tag)] = digest
    return out


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``repo[:tag][@digest]`` as (repo, tag, digest)."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def image_findings(
    docs: Iterable[Mapping[str, Any]], pinned: Mapping[str, str] | None
) -> list[Finding]:
    """Every container image pinned by digest; with ``pinned`` ({repository: digest}),
    by exactly that digest (a digest the registry does not list is a pull error)."""
    out: list[Finding] = []
    for doc in docs:
        if doc.get("kind") not in WORKLOAD_KINDS:
            continue
        for c in _containers(_pod_template(doc).get("spec") or {}):
            image = c.get("image")
            cname = c.get("name", "?")
            if not isinstance(image, str):
                out.append(Finding("image", _name(doc), f"container {cname}: no image"))
                continue
            repo, _tag, digest = split_image(image)
            if digest is None or not _DIGEST.fullmatch(digest):
                out.append(
                    Finding(
                        "image-digest", _name(doc), f"container {cname}: image not pinned by digest"
                    )
                )
            elif pinned is not None and pinned.get(repo) != digest:
                out.append(
                    Finding(
                        "image-digest",
                        _name(doc),
                        f"container {cname}: the registry has no such digest for {repo} "
                        "at the release to run",
                    )
                )
    return out


def validate_manifests(
    text: str,
    *,
    pinned: Mapping[str, str] | None = None,
    version: str = KUBERNETES_VERSION,
) -> list[Finding]:
    """Every finding for a file of manifests: schema, workloads, services, images."""
    try:
        docs = parse_manifests(text)
    except ManifestError as exc:
        return [Finding("yaml", "file", str(exc))]
    out: list[Finding] = []
    for doc in docs:
        out += schema_findings(doc, version)
    workloads = [d for d in docs if d.get("kind") in WORKLOAD_KINDS]
    for w in workloads:
        out += workload_findings(w)
    for s in (d for d in docs if d.get("kind") == "Service"):
        out += service_findings(s, workloads)
    out += image_findings(docs, pinned)
    return out
