"""Judge for k8s-manifest: rules over the parsed manifest (no cluster involved)."""

import re

from app.grading.judging import Verdict

RELEASE = "2.4.1"
PORT = 9000
LOAD_SECONDS = 45
MIB = 1024 * 1024


def make_inputs(seed):
    return {}


def _find(docs, kind):
    return [d for d in docs if isinstance(d, dict) and d.get("kind") == kind]


def _container(docs):
    deps = _find(docs, "Deployment")
    if not deps:
        return None, None
    pod = ((deps[0].get("spec") or {}).get("template") or {})
    containers = (pod.get("spec") or {}).get("containers") or []
    return deps[0], (containers[0] if containers and isinstance(containers[0], dict) else None)


def _port_of(container, port):
    """A probe/service port (number or name) as the number it means, or None."""
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if isinstance(p, dict) and p.get("name") == port:
            return p.get("containerPort")
    if isinstance(port, str) and port.isdigit():
        return int(port)
    return None


def _quantity(value, cpu):
    if value is None:
        return None
    text = str(value).strip()
    units = {"Ki": 1024, "Mi": MIB, "Gi": 1024 * MIB, "Ti": 1024**4, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    m = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?", text)
    if not m:
        return None
    num, unit = float(m.group(1)), m.group(2)
    if cpu:
        return num / 1000 if unit == "m" else num if unit is None else None
    if unit == "m":
        return num / 1000
    return num * units.get(unit, 1) if unit else num


def check_image_pinned(cand, ref, inputs):
    _, c = _container(cand.data)
    image = (c or {}).get("image", "")
    if not isinstance(image, str) or not image:
        return Verdict.fail("No container image found in the Deployment.")
    if "@sha256:" in image:
        return Verdict.ok("The image is pinned by digest.")
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if tag == RELEASE:
        return Verdict.ok("The image is pinned to the release.")
    if tag in ("", "latest"):
        return Verdict.fail("The image uses a moving tag, so nobody can tell which build runs.")
    return Verdict.fail("The image tag is not the release to deploy.")


def _probe(container, name):
    probe = container.get(name)
    if not isinstance(probe, dict):
        return None, None, probe
    http = probe.get("httpGet") or {}
    return http.get("path"), _port_of(container, http.get("port")), probe


def check_probes_target_server(cand, ref, inputs):
    _, c = _container(cand.data)
    if c is None:
        return Verdict.fail("No container found in the Deployment.")
    good, notes = 0, []
    path, port, _ = _probe(c, "readinessProbe")
    if path == "/readyz" and port == PORT:
        good += 1
    else:
        notes.append("readiness does not ask whether the model is loaded on the server's port")
    path, port, _ = _probe(c, "livenessProbe")
    if path == "/healthz" and port == PORT:
        good += 1
    else:
        notes.append("liveness does not check the process on the server's port")
    if good == 2:
        return Verdict.ok("Readiness and liveness probe the server correctly.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")


def _tolerated_seconds(probe):
    """How long after start a probe can keep failing before it restarts the pod."""
    if not isinstance(probe, dict):
        return None
    delay = probe.get("initialDelaySeconds", 0) or 0
    period = probe.get("periodSeconds", 10) or 10
    failures = probe.get("failureThreshold", 3) or 3
    return delay + period * failures


def check_survives_model_load(cand, ref, inputs):
    _, c = _container(cand.data)
    if c is None:
        return Verdict.fail("No container found in the Deployment.")
    live = c.get("livenessProbe")
    if not isinstance(live, dict):
        return Verdict(0.5, "Without a liveness probe a hung server is never restarted.")
    startup = c.get("startupProbe")
    if isinstance(startup, dict):
        window = _tolerated_seconds(startup)
        path, port, _ = _probe(c, "startupProbe")
        if window >= LOAD_SECONDS and port == PORT and path in ("/healthz", "/readyz"):
            return Verdict.ok("The startup probe gives the model time to load.")
        return Verdict.fail("The startup probe gives up before the model has loaded, or probes the wrong endpoint.")
    if _tolerated_seconds(live) >= LOAD_SECONDS + 5:
        return Verdict.ok("Liveness waits long enough for the model to load.")
    return Verdict.fail("Liveness restarts the pod before the model can finish loading.")


def check_resources_bounded(cand, ref, inputs):
    _, c = _container(cand.data)
    res = (c or {}).get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    good, notes = 0, []
    cpu_req, cpu_lim = _quantity(req.get("cpu"), True), _quantity(lim.get("cpu"), True)
    mem_req, mem_lim = _quantity(req.get("memory"), False), _quantity(lim.get("memory"), False)
    if cpu_req and cpu_lim and 0.25 <= cpu_req <= cpu_lim <= 4:
        good += 1
    else:
        notes.append("CPU needs a request and a limit that fit the server")
    if mem_req and mem_lim and 900 * MIB <= mem_req <= mem_lim <= 3 * 1024 * MIB:
        good += 1
    else:
        notes.append("memory needs a request that covers the server's steady state and a limit below what took the node down")
    if good == 2:
        return Verdict.ok("Requests and limits are set and fit the server.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")


def check_service_selects_pods(cand, ref, inputs):
    dep, c = _container(cand.data)
    services = _find(cand.data, "Service")
    if dep is None or c is None or not services:
        return Verdict.fail("The Deployment or the Service is missing.")
    labels = ((dep.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    svc = services[0].get("spec") or {}
    selector = svc.get("selector") or {}
    good, notes = 0, []
    if selector and all(labels.get(k) == v for k, v in selector.items()):
        good += 1
    else:
        notes.append("the Service's selector matches no pod of the Deployment")
    ports = svc.get("ports") or []
    if ports and all(_port_of(c, p.get("targetPort", p.get("port"))) == PORT for p in ports if isinstance(p, dict)):
        good += 1
    else:
        notes.append("the Service does not send traffic to the server's port")
    if good == 2:
        return Verdict.ok("The Service selects the pods on the right port.")
    return Verdict.share(good, 2, "; ".join(notes).capitalize() + ".")
