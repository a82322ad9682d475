"""LLM gateway of the support assistant: maps each endpoint to a prompt from the
prompt registry, renders it, asks the model, and writes the audit trail."""

import datetime

import llm


class ConfigError(Exception):
    """The gateway cannot start with this configuration."""


class Gateway:
    def __init__(self, routes, registry, settings, audit, clock=None):
        """``routes``: the ``routes`` list of routes.yaml; ``registry``: the prompt
        registry export; ``settings``: gateway.yaml; ``audit``: has ``write(dict)``."""
        self.registry = registry["prompts"]
        self.settings = settings
        self.audit = audit
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self.routes = {}
        for route in routes:
            if route["prompt"] not in self.registry:
                raise ConfigError(f"{route['route']}: unknown prompt {route['prompt']}")
            self.routes[route["route"]] = route

    def _template(self, route):
        prompt = self.registry[route["prompt"]]
        version = str(route.get("version", "latest"))
        version = str(prompt.get("aliases", {}).get(version, version))
        return prompt["versions"][version]["template"]

    def handle(self, route, variables, request_id):
        """Answer one request on ``route`` with the prompt rendered from ``variables``."""
        config = self.routes[route]
        template = self._template(config)
        prompt = template.format_map(variables)
        answer = llm.complete(config["model"], prompt)
        self.audit.write({
            "ts": self.clock().isoformat(),
            "request_id": request_id,
            "route": route,
            "prompt": config["prompt"],
            "model": config["model"],
            "answer_chars": len(answer),
        })
        return {"answer": answer}
