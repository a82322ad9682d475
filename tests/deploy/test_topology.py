"""compose.yaml's topology, started for real without Docker: every service of compose.yaml
as a native process on 127.0.0.1, with the command compose gives it (the image's CMD
where it gives none), the environment compose and the image give it, and the proxy run
with compose's own `caddy reverse-proxy` arguments. Then a candidate goes through the
proxy only: signs up and in, starts, autosaves, runs a public check a worker grades,
submits and is graded by the workers; both replicas answered; a rate limit holds across
them; and an X-Forwarded-For a client sends does not change the address the service
sees (the proxy's own header wins).

What is translated, and why (a container's view of the world, outside a container):
- a service's host name (``db``, ``api-1``, ``api-2``) is 127.0.0.1 and its container
  port a free port of 127.0.0.1; ``db`` is the test's PostgreSQL, a fresh empty database
  (its URL replaces compose's, which names the container's user and password);
- an address compose gives a service on its network (the proxy's ``ipv4_address``) is
  127.0.0.1, where the proxy connects from, so ASSAY_TRUSTED_PROXIES names the proxy;
- a named volume (``keys``) is a folder of the test's; the image's bank and scenarios
  (``/srv/assay/...``) are the fault tests' bank (a practical exam with no
  prerequisite, whose scenario grades in a second) and its scenario;
- ``${VAR:?...}`` and ``${VAR:-...}`` are filled as compose fills them, from the
  test's values: ASSAY_SECRET_KEY, and ASSAY_PUBLIC_BASE_URL, an https address only
  written into credentials (production refuses a loopback or http one);
- compose's one-off step (``docker compose run --rm api-1 assay keys rotate``, from its
  comments) runs first, with api-1's environment.
The candidate's own machine is 127.0.0.2 (another loopback address), so the client the
service sees is told apart from the proxy. Added to compose's environment: PATH and the
logs at INFO in JSON (the request lines say which replica answered). Not shown here: the
image itself (nothing is built), its user, the container network's isolation, restarts
(`restart: on-failure`) and the proxy's published port's binding (`caddy reverse-proxy`
listens on every interface of its port).

PostgreSQL only; needs `caddy` (Debian's package): skipped without it, except under CI
(`CI=true`), where that is a failure. Bounded waits, every process killed at the end."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.faults.conftest import fault_bank
from tests.faults.harness import REPO, Server, driver_url, free_port, until
from tests.pipeline_scenario import PIPELINE, write_order_summary

SECRET_KEY = "topology-secret-key-that-is-long-enough-0123456789"
PUBLIC_BASE_URL = "https://exams.example.org"
# The candidate's machine: a loopback address of its own, not the proxy's.
CLIENT = "127.0.0.2"
# Where our processes listen, and where the proxy connects from.
LOCAL = "127.0.0.1"
START_SECONDS = 90
GRADING_SECONDS = 120
# A client address compose's proxy could never be: sent by the candidate as their own.
FORGED = "203.0.113.7"
EXAM = "fault-practical"


def _caddy() -> str:
    found = shutil.which("caddy")
    if found is None:
        reason = "caddy is not installed (apt-get install caddy): the proxy of compose.yaml"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the topology test cannot run under CI: {reason}")
        pytest.skip(reason)
    return found


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


def _dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def image_command() -> list[str]:
    [cmd] = re.findall(r"^CMD (\[.*\])$", _dockerfile(), re.M)
    command: list[str] = json.loads(cmd)
    return command


def image_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", _dockerfile(), re.M | re.S)
    assert block is not None
    return dict(re.findall(r"(\w+)=(\S+)", block.group(1)))


def image_health_path() -> str:
    [url] = re.findall(r"^HEALTHCHECK .*?'(http://[^']+)'", _dockerfile(), re.M)
    return urlsplit(url).path


_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str, given: Mapping[str, str]) -> str:
    """``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` as compose fills them."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        value = given.get(name, "")
        if operator == "-":
            return value or argument
        if operator == "?" and not value:
            raise AssertionError(f"compose.yaml needs {name}: {argument}")
        return value

    return _VARIABLE.sub(one, value)


def test_interpolation_is_composes() -> None:
    given = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d}/${EMPTY:-d}/${UNSET:-d}/${SET}", given) == "x/d/d/x"
    assert interpolate("${SET:?needed}", given) == "x"
    with pytest.raises(AssertionError, match="needs EMPTY: needed"):
        interpolate("${EMPTY:?needed}", given)


def program(argv: list[str], caddy: str) -> list[str]:
    """``assay ...`` as this checkout's (the image's entry point), ``caddy ...`` as the
    installed one."""
    if argv[0] == "assay":
        return [sys.executable, "-m", "app.cli", *argv[1:]]
    if argv[0] == "caddy":
        return [caddy, *argv[1:]]
    raise AssertionError(f"an unknown program: {argv}")


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    """``{service: condition}`` from either form of ``depends_on``."""
    raw = service.get("depends_on", {})
    if isinstance(raw, list):
        return {name: "service_started" for name in raw}
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


def _in_order(services: dict[str, dict[str, Any]]) -> list[str]:
    """The services in an order that starts each after what it depends on."""
    order: list[str] = []
    while len(order) < len(services):
        ready = [
            name
            for name, service in services.items()
            if name not in order and set(_depends_on(service)) <= set(order)
        ]
        assert ready, f"a dependency cycle among {set(services) - set(order)}"
        order += ready
    return order


@dataclass
class Plan:
    """compose.yaml translated to this machine: a command and an environment for each
    process, and the ports its services listen on."""

    root: Path
    database_url: str
    bank: Path
    scenarios: Path
    compose: dict[str, Any] = field(default_factory=_compose)
    # (service, container port) -> port of 127.0.0.1
    ports: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        services: dict[str, dict[str, Any]] = self.compose["services"]
        return services

    def ours(self, name: str) -> bool:
        return self.services[name].get("build") == "."

    def port(self, service: str, container_port: int) -> int:
        return self.ports.setdefault((service, container_port), free_port())

    def given(self) -> dict[str, str]:
        """What compose would read from the shell or an .env file."""
        return {"ASSAY_SECRET_KEY": SECRET_KEY, "ASSAY_PUBLIC_BASE_URL": PUBLIC_BASE_URL}

    def addresses(self) -> dict[str, str]:
        """Each fixed address compose gives a service on its network -> 127.0.0.1."""
        found = {}
        for service in self.services.values():
            networks = service.get("networks", {})
            if isinstance(networks, dict):
                for spec in networks.values():
                    if spec and "ipv4_address" in spec:
                        found[spec["ipv4_address"]] = LOCAL
        return found

    def paths(self, name: str) -> dict[str, Path]:
        """Container paths -> folders here: the service's named volumes, the image's
        bank and scenarios."""
        mapped = {
            "/srv/assay/question_bank": self.bank,
            "/srv/assay/scenarios": self.scenarios,
        }
        for volume in self.services[name].get("volumes", []):
            source, target = volume.split(":")[:2]
            folder = self.root / "volumes" / source
            folder.mkdir(parents=True, exist_ok=True)
            mapped[target] = folder
        return mapped

    def env(self, name: str) -> dict[str, str]:
        service = self.services[name]
        declared = {**image_env(), **service.get("environment", {})} if self.ours(name) else {}
        env: dict[str, str] = {}
        for variable, raw in declared.items():
            value = interpolate(str(raw), self.given())
            for container_path, folder in self.paths(name).items():
                if value == container_path or value.startswith(container_path + "/"):
                    value = str(folder) + value[len(container_path) :]
            if variable == "ASSAY_DATABASE_URL":
                url = make_url(value)
                assert url.host == "db" and url.drivername == "postgresql+asyncpg", value
                value = self.database_url
            if variable == "ASSAY_TRUSTED_PROXIES":
                value = ",".join(
                    self.addresses().get(a.strip(), a.strip()) for a in value.split(",")
                )
            env[variable] = value
        return {
            "PATH": os.environ.get("PATH", ""),
            # caddy keeps its instance id and any state under these: the test's.
            "HOME": str(self.root),
            "XDG_DATA_HOME": str(self.root / "xdg-data"),
            "XDG_CONFIG_HOME": str(self.root / "xdg-config"),
            "ASSAY_LOG_LEVEL": "INFO",
            "ASSAY_LOG_JSON": "true",
            **env,
        }

    def command(self, name: str, caddy: str) -> list[str]:
        service = self.services[name]
        argv = [str(a) for a in service.get("command", image_command() if self.ours(name) else [])]
        assert argv, f"{name}: no command"
        out: list[str] = []
        for i, arg in enumerate(argv):
            option = argv[i - 1] if i else ""
            if option == "--host" and arg == "0.0.0.0":  # noqa: S104 (compose's value, replaced)
                arg = LOCAL
            elif option == "--port" and self.ours(name):
                arg = str(self.port(name, int(arg)))
            elif option == "--from":
                host, _, container_port = arg.rpartition(":")
                arg = f"{host}:{self.published(name, int(container_port))}"
            elif option == "--to":
                host, _, container_port = arg.rpartition(":")
                arg = f"{LOCAL}:{self.port(host, int(container_port))}"
            out.append(arg)
        return program(out, caddy)

    def published(self, name: str, container_port: int) -> int:
        """The port compose publishes ``container_port`` of ``name`` on (on 127.0.0.1)."""
        for mapping in self.services[name].get("ports", []):
            parts = str(mapping).split(":")
            if int(parts[-1]) == container_port:
                assert len(parts) == 3 and parts[0] == LOCAL, f"{name} publishes {mapping}"
                return self.port(name, container_port)
        raise AssertionError(f"{name} does not publish {container_port}")

    def one_off_steps(self) -> list[tuple[str, list[str]]]:
        """compose.yaml's instructions run before ``up`` (``docker compose run --rm
        SERVICE COMMAND`` in its comments)."""
        text = (REPO / "compose.yaml").read_text()
        return [
            (service, command.split())
            for service, command in re.findall(
                r"^#\s+docker compose run --rm (\S+) (.+?)\s*$", text, re.M
            )
        ]


@dataclass
class Topology:
    plan: Plan
    processes: dict[str, Server] = field(default_factory=dict)

    @property
    def proxy_url(self) -> str:
        [port] = [p for (name, _), p in self.plan.ports.items() if name == "proxy"]
        return f"http://{LOCAL}:{port}"

    def replica_url(self, name: str) -> str:
        return self.processes[name].url

    @property
    def replicas(self) -> list[str]:
        return [n for n in self.processes if self.processes[n].url and n != "proxy"]

    async def run_once(self, service: str, command: list[str], caddy: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *program(command, caddy),
            cwd=REPO,
            env=self.plan.env(service),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), START_SECONDS)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, f"{' '.join(command)} on {service}:\n{out.decode()}"

    async def start(self, name: str, caddy: str) -> Server:
        log_path = self.plan.root / f"{name}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *self.plan.command(name, caddy),
                cwd=REPO,
                env=self.plan.env(name),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        ports = [p for (service, _), p in self.plan.ports.items() if service == name]
        url = f"http://{LOCAL}:{ports[0]}" if ports else ""
        server = self.processes[name] = Server(url, process, log_path)
        return server

    async def healthy(self, name: str) -> None:
        server = self.processes[name]
        path = image_health_path() if self.plan.ours(name) else "/healthz"

        async def answers() -> bool | None:
            if not server.alive:
                raise AssertionError(f"{name} exited:\n{server.log()[-4000:]}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(server.url + path)).status_code == 200
            except httpx.TransportError:
                return None

        await until(answers, f"{name} answering {path}", START_SECONDS, every=0.1)

    async def up(self, caddy: str) -> None:
        for service, command in self.plan.one_off_steps():
            await self.run_once(service, command, caddy)
        services = self.plan.services
        waited_for = {
            dependency
            for service in services.values()
            for dependency, condition in _depends_on(service).items()
            if condition == "service_healthy"
        }
        for name in _in_order(services):
            if name == "db":  # the test's PostgreSQL, up already
                continue
            await self.start(name, caddy)
            if name in waited_for:
                await self.healthy(name)
        # The proxy is up once it forwards.
        await self.healthy("proxy")

    async def down(self) -> None:
        for server in self.processes.values():
            await server.kill()
        for name, server in self.processes.items():
            # Shown by pytest only when the test failed.
            print(f"--- {name}\n{server.log()[-3000:]}")

    def request_log(self) -> dict[str, list[str]]:
        """Request id -> the replicas whose request log has it."""
        found: dict[str, list[str]] = {}
        for name in self.replicas:
            for entry in self.processes[name].log_events("request"):
                found.setdefault(str(entry.get("request_id")), []).append(name)
        return found


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A database of this test's own with nothing in it: api-1 migrates it and publishes
    the bank, as in compose."""
    if not database_url.startswith("postgresql"):
        pytest.skip("compose's topology runs on PostgreSQL (several processes, procrastinate)")
    name = f"{make_url(database_url).database}_topology_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(driver_url(database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def topology(empty_database: str, tmp_path: Path) -> AsyncIterator[Topology]:
    caddy = _caddy()
    plan = Plan(
        root=tmp_path,
        database_url=empty_database,
        bank=fault_bank(tmp_path / "bank"),
        scenarios=write_order_summary(tmp_path / "scenarios"),
    )
    running = Topology(plan)
    try:
        await running.up(caddy)
        yield running
    finally:
        await running.down()


@pytest.fixture
async def db(empty_database: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(driver_url(empty_database))
    try:
        yield conn
    finally:
        await conn.close()


class Candidate:
    """A browser on 127.0.0.2 that only knows the proxy's address; remembers the request
    id of every answer."""

    def __init__(self, proxy_url: str) -> None:
        self.request_ids: list[str] = []

        async def note(response: httpx.Response) -> None:
            request_id = response.headers.get("x-request-id")
            if request_id is None:
                await response.aread()
                raise AssertionError(
                    f"{response.request.method} {response.request.url.path}: "
                    f"{response.status_code} from the proxy itself, no replica answered: "
                    f"{response.text[:300]}"
                )
            self.request_ids.append(request_id)

        self.client = httpx.AsyncClient(
            base_url=proxy_url,
            timeout=30,
            transport=httpx.AsyncHTTPTransport(local_address=CLIENT),
            event_hooks={"response": [note]},
        )
        self.headers: dict[str, str] = {}

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)


async def _replicas_of(topology: Topology, request_ids: list[str]) -> dict[str, set[str]]:
    """Replica -> the request ids it answered (each line is logged once the answer is
    sent: polled until every id is there)."""

    async def all_logged() -> dict[str, set[str]] | None:
        log = topology.request_log()
        if not all(request_id in log for request_id in request_ids):
            return None
        found: dict[str, set[str]] = {name: set() for name in topology.replicas}
        for request_id in request_ids:
            [name] = log[request_id]  # one replica answered each
            found[name].add(request_id)
        return found

    found: dict[str, set[str]] = await until(all_logged, "every request id in a replica's log", 10)
    return found


async def test_compose_topology_serves_a_candidate_through_the_proxy(
    topology: Topology, db: asyncpg.Connection
) -> None:
    assert sorted(topology.replicas) == ["api-1", "api-2"]
    me = Candidate(topology.proxy_url)
    try:
        await _journey(topology, me, db)
        await _rate_limit_and_forwarded_for(topology, me)
    finally:
        await me.client.aclose()
    # Every process of the topology is still up: nothing crashed on the way.
    assert [n for n, s in topology.processes.items() if not s.alive] == []


async def _journey(topology: Topology, me: Candidate, db: asyncpg.Connection) -> None:
    email = "topology@example.org"
    password = "correct horse battery staple"
    r = await me.request(
        "POST",
        "/api/v1/auth/register",
        json={"email": email, "password": password, "full_name": "Tess Topology"},
    )
    assert r.status_code == 201, r.text
    r = await me.request(
        "POST", "/api/v1/auth/token", data={"username": email, "password": password}
    )
    assert r.status_code == 200, r.text
    me.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    r = await me.request("POST", f"/api/v1/exams/{EXAM}/attempts")
    assert r.status_code == 201, r.text
    attempt = r.json()
    base = f"/api/v1/attempts/{attempt['id']}"
    # The page's clock sync, where proctoring notes who works from where: the address
    # noted is the candidate's, as the proxy forwarded it.
    assert (await me.request("GET", base)).status_code == 200
    assert (
        await db.fetchval(
            "SELECT ip FROM attempt_clients WHERE attempt_id = $1", uuid.UUID(attempt["id"])
        )
        == CLIENT
    )

    refs = {item["kind"]: item["ref"] for item in attempt["items"]}
    saved = await me.request(
        "PUT", f"{base}/responses/{refs['mcq']}", json={"choices": ["a"], "seq": 1}
    )
    assert saved.status_code == 200, saved.text
    files = {"pipeline.py": PIPELINE}
    saved = await me.request(
        "PUT", f"{base}/responses/{refs['scenario']}", json={"files": files, "seq": 1}
    )
    assert saved.status_code == 200, saved.text

    # A public check, asked with a forged X-Forwarded-For: a worker grades it; the
    # address the service notes stays the candidate's.
    r = await me.request(
        "POST", f"{base}/scenarios/{refs['scenario']}/runs", headers={"X-Forwarded-For": FORGED}
    )
    assert r.status_code == 202, r.text
    run = f"{base}/scenarios/{refs['scenario']}/runs/{r.json()['run_id']}"

    async def checked() -> dict[str, Any] | None:
        body: dict[str, Any] = (await me.request("GET", run)).json()
        return body if body["status"] not in ("queued", "running") else None

    result = await until(checked, "a worker running the public check", GRADING_SECONDS, every=0.2)
    assert result["status"] == "done", result
    assert [(c["name"], c["passed"]) for c in result["checks"]] == [("sums", True)]
    assert (
        await db.fetchval(
            "SELECT ip FROM attempt_clients WHERE attempt_id = $1", uuid.UUID(attempt["id"])
        )
        == CLIENT
    )
    assert not await db.fetchval(
        "SELECT count(*) FROM attempt_events WHERE attempt_id = $1 AND type = 'ip_changed'",
        uuid.UUID(attempt["id"]),
    )

    r = await me.request("POST", f"{base}/submit")
    assert r.status_code == 202, r.text  # accepted: the workers grade it
    assert r.json()["status"] == "grading"

    async def graded() -> dict[str, Any] | None:
        body: dict[str, Any] = (await me.request("GET", f"{base}/result")).json()
        return body if body["status"] != "grading" else None

    outcome = await until(graded, "the workers grading the submission", GRADING_SECONDS, every=0.2)
    # Scored, or held for a proctor's look (ASSAY_REVIEW_SAMPLE_PERCENT samples some).
    assert outcome["status"] in ("scored", "under_review"), outcome
    final = await db.fetch(
        "SELECT status FROM scenario_runs WHERE attempt_id = $1 AND kind = 'final'",
        uuid.UUID(attempt["id"]),
    )
    assert [row["status"] for row in final] == ["done"]

    # Both replicas answered the candidate (the proxy picks one at random for each
    # request: asked until both have, within a bound far past any bad luck).
    for _ in range(100):
        served = await _replicas_of(topology, me.request_ids)
        if all(served.values()):
            break
        assert (await me.request("GET", "/healthz")).status_code == 200
    assert all(served.values()), {k: len(v) for k, v in served.items()}


async def _rate_limit_and_forwarded_for(topology: Topology, me: Candidate) -> None:
    """The budget of lookups of unknown certificates (ASSAY_VERIFY_MISSES_PER_HOUR, 30 by
    default) is per client address, kept in PostgreSQL: the 30 misses are spent on
    whichever replicas answered, then both refuse. Per process, a replica would refuse
    only once it alone had answered 30."""
    budget = 30
    me.request_ids.clear()
    answers: list[tuple[int, str]] = []

    async def lookup(**headers: str) -> int:
        r = await me.request("GET", f"/api/v1/verify/NOPE-{uuid.uuid4().hex[:8]}", headers=headers)
        answers.append((r.status_code, r.headers["x-request-id"]))
        return r.status_code

    for _ in range(budget):
        assert await lookup() == 404
    refused_by: set[str] = set()
    for _ in range(100):
        assert await lookup() == 429
        served = await _replicas_of(topology, [answers[-1][1]])
        refused_by |= {name for name, ids in served.items() if ids}
        if len(refused_by) == 2:
            break
    assert refused_by == {"api-1", "api-2"}

    # A forged X-Forwarded-For through the proxy: still this client, still refused,
    # by both replicas.
    forged_by: set[str] = set()
    for n in range(100):
        assert await lookup(**{"X-Forwarded-For": f"203.0.113.{n + 1}"}) == 429
        served = await _replicas_of(topology, [answers[-1][1]])
        forged_by |= {name for name, ids in served.items() if ids}
        if len(forged_by) == 2:
            break
    assert forged_by == {"api-1", "api-2"}

    # The control: a replica does believe the header from the proxy's address (it is
    # the one trusted proxy), so a header passed on by the proxy would have counted.
    async with httpx.AsyncClient(
        base_url=topology.replica_url("api-1"),
        transport=httpx.AsyncHTTPTransport(local_address=LOCAL),
        timeout=30,
    ) as from_the_proxy_address:
        r = await from_the_proxy_address.get(
            "/api/v1/verify/NOPE-control", headers={"X-Forwarded-For": FORGED}
        )
    assert r.status_code == 404, r.text
