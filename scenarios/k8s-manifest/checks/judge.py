"""Judge for k8s-manifest: the manifest as the cluster would see it.

Everything runs on the text the candidate wrote, parsed and validated here (strict
schemas of Kubernetes 1.33 and the API server's own rules, see
app/grading/validators/kubernetes.py), then held to the runbook: the approved release's
digest from the registry listing, probes on the server's port and endpoints, a start-up
window that covers the model load and still restarts a hung pod within two minutes,
requests and limits that fit the server, and a Service that reaches the pods.

A Deployment the API server would refuse (schema, selector not matching the pod labels,
a request above its limit, a new selector for the Deployment that is already running:
`spec.selector` is immutable) runs no pod: every check about what the pods do scores 0.
"""

from app.grading.judging import Verdict
from app.grading.validators.kubernetes import (
    ManifestError,
    parse_manifests,
    parse_quantity,
    validate_manifests,
)

REPO = "registry.internal/ml/churn-server"
NAME, NAMESPACE, REPLICAS, SERVICE_PORT = "churn-server", "ml-serving", 3, 80
LOAD_SECONDS = 45
RESTART_WITHIN = 120
MIB = 1024 * 1024
REFUSED = ("schema", "selector", "requests-limits", "quantity", "yaml")
# The running Deployment's selector (the previous ReplicaSet has the same manifest):
# the API server refuses an update of churn-server that changes it.
RUNNING_SELECTOR = {"matchLabels": {"app": "churn-server"}}


def make_inputs(seed, params):
    # The manifest is static: the battery is the runbook's rules, for this variant's
    # port and digest. Nothing depends on the seed.
    return {"port": int(params["port"]), "digest": "sha256:" + str(params["digest"])}


def _analyse(cand, inputs):
    text = cand.data.get("text") if isinstance(cand.data, dict) else None
    if not isinstance(text, str):
        return None
    try:
        docs = parse_manifests(text)
    except ManifestError as exc:
        return {"error": str(exc)}
    findings = validate_manifests(text, pinned={REPO: inputs["digest"]})
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    services = [d for d in docs if d.get("kind") == "Service"]
    dep = deployments[0] if len(deployments) == 1 else None
    container = None
    if dep is not None:
        containers = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers"
        ) or []
        named = [c for c in containers if isinstance(c, dict) and c.get("name") == "server"]
        container = named[0] if named else (containers[0] if containers else None)
    return {
        "docs": docs,
        "findings": findings,
        "dep": dep,
        "container": container,
        "service": services[0] if len(services) == 1 else None,
    }


def _refusal(a):
    """Why the cluster runs no pod of this Deployment, or None."""
    if a is None:
        return "The manifest could not be read."
    if "error" in a:
        return f"The manifest is not valid: {a['error']}"
    if a["dep"] is None or a["container"] is None:
        return "The file needs exactly one Deployment with the server container."
    for f in a["findings"]:
        if f.rule in REFUSED and f.where.startswith("Deployment/"):
            return f"The cluster refuses the Deployment, so no pod runs: {f.message}"
    immutable = _selector_change(a)
    if immutable:
        return f"The cluster refuses the Deployment, so no new pod runs: {immutable}"
    return None


def _selector_change(a):
    """The API server's refusal of an update to the running Deployment that changes its
    selector (immutable in apps/v1), or None."""
    dep = a["dep"]
    meta = dep.get("metadata") or {}
    if meta.get("name") != NAME or meta.get("namespace") != NAMESPACE:
        return None  # another object: its own selector (rollout_in_place judges that)
    if (dep.get("spec") or {}).get("selector") != RUNNING_SELECTOR:
        return f"Deployment/{NAME}: spec.selector: field is immutable."
    return None


def _resolve(container, port):
    """A probe or Service port (name or number) as the number it reaches."""
    if isinstance(port, bool):
        return None
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if isinstance(p, dict) and p.get("name") == port:
            return p.get("containerPort")
    return int(port) if isinstance(port, str) and port.isdigit() else None


def check_manifest_admitted(cand, ref, inputs):
    a = _analyse(cand, inputs)
    if a is None or "error" in a:
        return Verdict.fail(_refusal(a))
    refused = [f for f in a["findings"] if f.rule in REFUSED]
    if refused:
        f = refused[0]
        return Verdict.fail(f"kubectl apply is refused for {f.where}: {f.message}")
    if a["dep"] is not None and _selector_change(a):
        return Verdict.fail(f"kubectl apply is refused for {_selector_change(a)}")
    return Verdict.ok("Every object passes strict validation and admission.")


def check_rollout_in_place(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    dep, svc = a["dep"], a["service"]
    meta = dep.get("metadata") or {}
    good = 0
    good += meta.get("name") == NAME and meta.get("namespace") == NAMESPACE
    good += (dep.get("spec") or {}).get("replicas") == REPLICAS
    smeta = (svc or {}).get("metadata") or {}
    good += smeta.get("name") == NAME and smeta.get("namespace") == NAMESPACE
    if good == 3:
        return Verdict.ok("The fix updates the running Deployment and Service in place.")
    return Verdict.share(
        good, 3, "The fix does not update the objects callers and the deploy job know, as the runbook has them."
    )


def check_image_pinned(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    image = a["container"].get("image")
    if not isinstance(image, str) or "@" not in image:
        return Verdict.fail("The image is not pinned by digest, so the build that runs can change.")
    if [f for f in a["findings"] if f.rule == "image-digest"]:
        return Verdict.fail("The pinned digest is not the approved release's digest in the registry.")
    if image.partition("@")[0].rsplit(":", 1)[0] != REPO and image.partition("@")[0] != REPO:
        return Verdict.fail("The image is not the churn-server repository.")
    return Verdict.ok("The pods run the approved release, pinned by digest.")


def _window(probe, default_period=10, default_failures=3):
    delay = probe.get("initialDelaySeconds", 0) or 0
    period = probe.get("periodSeconds", default_period) or default_period
    failures = probe.get("failureThreshold", default_failures) or default_failures
    return delay + period * failures, delay


def check_probes_target_server(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    c, port = a["container"], inputs["port"]
    if any(f.rule == "probe-port" for f in a["findings"]):
        return Verdict.fail("A probe targets a port the container does not expose.")
    good, notes = 0, []
    for key, path, note in (
        ("readinessProbe", "/readyz", "readiness does not wait for the model to be loaded"),
        ("livenessProbe", "/healthz", "liveness does not check that the process serves HTTP"),
    ):
        probe = c.get(key)
        http = probe.get("httpGet") if isinstance(probe, dict) else None
        if isinstance(http, dict) and http.get("path") == path and _resolve(c, http.get("port")) == port:
            good += 1
        else:
            notes.append(note + " on the server's port")
    if good == 2:
        return Verdict.ok("Readiness and liveness probe the server as its runbook says.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")


def _passes_while_loading(container, probe, port):
    """Whether a probe passes while the model loads: `/healthz` and a TCP connection to
    the server's port answer as soon as the listener is up (the runbook, and the server's
    log: 200 on /healthz during the load), `/readyz` only once the model is loaded. None
    when the probe does not reach the server at all (it never passes)."""
    http = probe.get("httpGet")
    if isinstance(http, dict):
        if _resolve(container, http.get("port")) != port:
            return None
        return {"/healthz": True, "/readyz": False}.get(http.get("path"))
    tcp = probe.get("tcpSocket")
    if isinstance(tcp, dict) and _resolve(container, tcp.get("port")) == port:
        return True
    return None


def check_survives_model_load(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    c, port = a["container"], inputs["port"]
    live = c.get("livenessProbe")
    if not isinstance(live, dict):
        return Verdict.fail("Without a liveness probe a hung server is never restarted.")
    live_window, live_delay = _window(live)
    startup = c.get("startupProbe")
    if isinstance(startup, dict):
        window, _ = _window(startup)
        passes = _passes_while_loading(c, startup, port)
        if passes is None:
            return Verdict.fail("The start-up probe does not reach the server.")
        if not passes and window < LOAD_SECONDS:
            return Verdict.fail("Pods are restarted before the model can finish loading.")
        if window > RESTART_WITHIN or live_window > RESTART_WITHIN:
            return Verdict.fail("A pod that hangs is not restarted within the runbook's two minutes.")
        return Verdict.ok("Pods get time to load the model and a hung pod is restarted in time.")
    passes = _passes_while_loading(c, live, port)
    if passes is None or (not passes and live_window < LOAD_SECONDS + 5):
        return Verdict.fail("Pods are restarted before the model can finish loading.")
    if live_window > RESTART_WITHIN or live_delay > RESTART_WITHIN:
        return Verdict.fail("A pod that hangs is not restarted within the runbook's two minutes.")
    return Verdict.ok("Liveness lets the model load and still restarts a hung pod in time.")


def check_resources_bounded(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    res = a["container"].get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    cpu_req, cpu_lim = parse_quantity(req.get("cpu")), parse_quantity(lim.get("cpu"))
    mem_req, mem_lim = parse_quantity(req.get("memory")), parse_quantity(lim.get("memory"))
    good, notes = 0, []
    if cpu_req is not None and cpu_lim is not None and 0.5 <= cpu_req <= cpu_lim and 1 <= cpu_lim <= 4:
        good += 1
    else:
        notes.append("CPU needs a request covering the steady state and a limit that allows the bursts")
    if (
        mem_req is not None
        and mem_lim is not None
        and 900 * MIB <= mem_req <= mem_lim
        and 1229 * MIB <= mem_lim <= 2048 * MIB
    ):
        good += 1
    else:
        notes.append("memory needs a request covering the steady state and a limit between what the release needs and what the runbook calls an incident")
    if good == 2:
        return Verdict.ok("Requests and limits fit the server.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")


def check_service_selects_pods(cand, ref, inputs):
    a = _analyse(cand, inputs)
    problem = _refusal(a)
    if problem:
        return Verdict.fail(problem)
    svc = a["service"]
    if svc is None:
        return Verdict.fail("The file needs exactly one Service.")
    good, notes = 0, []
    selector = (svc.get("spec") or {}).get("selector")
    own = (((a["dep"].get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    if not selector or any(f.rule == "service-selector" for f in a["findings"]):
        notes.append("the Service selects no pod of the Deployment")
    elif not isinstance(selector, dict) or any(selector.get(k) != v for k, v in own.items()):
        # Broader than the Deployment's own selector: other workloads' pods get traffic.
        notes.append("the Service also selects pods that are not the Deployment's")
    else:
        good += 1
    ports = [p for p in (svc.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
    c = a["container"]
    if (
        ports
        and not any(f.rule == "service-port" for f in a["findings"])
        and any(p.get("port") == SERVICE_PORT for p in ports)
        and all(_resolve(c, p.get("targetPort", p.get("port"))) == inputs["port"] for p in ports)
    ):
        good += 1
    else:
        notes.append("callers on port 80 do not reach the server's port")
    if good == 2:
        return Verdict.ok("The Service reaches the pods on the server's port.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")
