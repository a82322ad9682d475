# Inside the sandbox: start the candidate's gateway on generated routes, registries and
# settings, send it requests, and report what it answered, refused and audited.


class _Sink:
    def __init__(self):
        self.records = []

    def write(self, record):
        self.records.append({str(k): (v if isinstance(v, int | float | bool) or v is None else str(v))
                             for k, v in dict(record).items()})


def step_gateway(inputs):
    import copy
    import datetime

    import gateway

    def clock():
        return datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)

    out = []
    for case in inputs["cases"]:
        sink = _Sink()
        try:
            gw = gateway.Gateway(copy.deepcopy(case["routes"]), copy.deepcopy(case["registry"]),
                                 copy.deepcopy(case["settings"]), sink, clock=clock)
        except gateway.ConfigError:
            out.append({"refused": True})
            continue
        except Exception as exc:
            out.append({"error": type(exc).__name__})
            continue
        answers = []
        try:
            for req in case["requests"]:
                answers.append(str(gw.handle(req["route"], dict(req["variables"]), req["request_id"])["answer"]))
        except Exception as exc:
            out.append({"error": type(exc).__name__})
            continue
        out.append({"refused": False, "answers": answers, "audit": sink.records})
    return out


def step_shipped(inputs):
    import yaml

    import gateway

    with open("routes.yaml") as fh:
        routes = yaml.safe_load(fh)["routes"]
    with open("prompt_registry.yaml") as fh:
        registry = yaml.safe_load(fh)
    with open("gateway.yaml") as fh:
        settings = yaml.safe_load(fh)
    sink = _Sink()
    try:
        gw = gateway.Gateway(routes, registry, settings, sink)
    except gateway.ConfigError:
        return {"refused": True}
    answers = []
    for route in sorted(r["route"] for r in routes):
        variables = {"brand": "Northwind", "order_id": "NW-1", "context": "excerpt", "question": "When?"}
        answers.append(str(gw.handle(route, variables, "req-shipped")["answer"]))
    return {"refused": False, "answers": answers}
