"""LLM gateway of the support assistant: maps each endpoint to a prompt from the
prompt registry, renders it, asks the model, and writes the audit trail.

Every route is resolved once, at start-up, to one published version whose template
text is checked against the digest recorded when it was published; the policy in
``settings`` decides where aliases and unapproved versions are acceptable. Each audit
record names the exact prompt version and the digest of its text, so an answer can be
traced to its instructions after aliases have moved.
"""

import datetime
import hashlib

import llm


class ConfigError(Exception):
    """The gateway cannot start with this configuration."""


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Gateway:
    def __init__(self, routes, registry, settings, audit, clock=None):
        """``routes``: the ``routes`` list of routes.yaml; ``registry``: the prompt
        registry export; ``settings``: gateway.yaml; ``audit``: has ``write(dict)``."""
        self.registry = registry["prompts"]
        self.settings = settings
        self.audit = audit
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        environment = settings["environment"]
        self.pinned_only = environment in (settings.get("require_approval_in") or [])
        self.approved_only = environment in (settings.get("require_approval_in") or [])
        self.routes = {}
        for route in routes:
            self.routes[route["route"]] = self._resolve(route)

    def _resolve(self, route):
        name = route["route"]
        prompt = self.registry.get(route["prompt"])
        if prompt is None:
            raise ConfigError(f"{name}: unknown prompt {route['prompt']}")
        requested = route.get("version")
        if requested is None:
            raise ConfigError(f"{name}: no prompt version")
        requested = str(requested)
        versions = prompt["versions"]
        if requested in versions:
            version = requested
        elif requested in (prompt.get("aliases") or {}):
            if self.pinned_only:
                raise ConfigError(f"{name}: follows alias {requested!r}; pin a published version")
            version = str(prompt["aliases"][requested])
            if version not in versions:
                raise ConfigError(f"{name}: alias {requested!r} names unknown version {version}")
        else:
            raise ConfigError(f"{name}: {route['prompt']} has no version {requested!r}")
        entry = versions[version]
        if self.approved_only and not entry.get("approved_by"):
            raise ConfigError(f"{name}: {route['prompt']} v{version} is not approved")
        digest = _digest(entry["template"])
        if digest != str(entry.get("sha256", "")).lower():
            raise ConfigError(f"{name}: {route['prompt']} v{version} does not match its published digest")
        return {**route, "version": version, "template": entry["template"], "sha256": digest}

    def handle(self, route, variables, request_id):
        """Answer one request on ``route`` with the prompt rendered from ``variables``."""
        config = self.routes[route]
        prompt = config["template"].format_map(variables)
        answer = llm.complete(config["model"], prompt)
        self.audit.write({
            "ts": self.clock().isoformat(),
            "request_id": request_id,
            "route": route,
            "prompt_id": config["prompt"],
            "prompt_version": config["version"],
            "prompt_sha256": config["sha256"],
            "model": config["model"],
            "answer_chars": len(answer),
        })
        return {"answer": answer}
