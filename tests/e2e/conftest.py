"""Browser tests: a real server (``assay serve`` in a subprocess, on a free port of
127.0.0.1, with its own SQLite database and a small bank) driven by Debian's Chromium
through Playwright, with axe-core injected into the pages for accessibility checks.

Without Chromium or the axe-core package these tests are skipped with the reason, except
under CI (``CI=true``), where that is a failure: .ci/run installs both.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.grading.scenarios import Scenario, load_scenarios
from tests.bank import blueprint, item, write_bank

REPO = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("ASSAY_CHROMIUM", "/usr/bin/chromium"))
AXE = E2E / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
# `assay serve`, except for the event loop: uvicorn picks uvloop when it is installed,
# and uvloop's subprocess_exec refuses the process_group/user arguments the grading
# sandbox passes, so public-check runs fail under it (reported; app/cli.py should pass
# loop="asyncio"). Until then the e2e server asks for the asyncio loop itself.
SERVE = """
import asyncio, sys
import uvicorn
from app.cli import _prepare
from app.config import get_settings
from app.core.seeds import SeededSeeds
from app.main import create_app
settings = get_settings()
asyncio.run(_prepare(settings.database_url, settings.question_bank))
# Seeded forms: every run draws the same items and scenario variants.
uvicorn.run(create_app(settings, seeds=SeededSeeds(20261206)), host="127.0.0.1", port=int(sys.argv[1]),
            loop="asyncio", log_level="warning", access_log=False)
"""
SERVER_START_SECONDS = 60
TIMEOUT_MS = 15_000


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (npm ci in tests/e2e)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def _require_browser_tools() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


def e2e_bank(root: Path) -> Path:
    """A foundation exam (5 questions) and a practical one (a question and a scenario).
    Every item's keyed option is ``b``, shown as the text "Action b for case N"."""
    items = [
        item(domain, level, n, key=("b",))
        for level in ("foundation", "professional")
        for domain, count in (("lifecycle", 4), ("data", 3))
        for n in range(1, count + 1)
    ]
    # Markdown, as the real bank writes it: a code span and a code block in every data
    # item's stem.
    for it in items:
        if it["domain"] == "data":
            it["stem"] = (
                f"{it['stem']}\n\nThe job runs `dvc repro` with this stage:\n\n"
                "```yaml\nstages:\n  train:\n    cmd: python train.py\n```\n"
            )
    return write_bank(
        root,
        [
            blueprint("e2e-foundation", title="MLOps Foundation (test)"),
            # Needs a current foundation certificate: the catalog says so, and when.
            blueprint(
                "e2e-professional",
                title="MLOps Professional (test)",
                level="professional",
                pass_mark=0.72,
                validity_months=24,
                prerequisites=["e2e-foundation"],
                draws=[{"domain": "lifecycle", "level": "professional", "count": 2}],
            ),
            blueprint(
                "e2e-practical",
                title="MLOps Practical (test)",
                level="professional",
                pass_mark=0.72,
                validity_months=24,
                duration_minutes=90,
                sections=[
                    {
                        "kind": "mcq",
                        "weight": 0.5,
                        "draw": [{"domain": "lifecycle", "level": "professional", "count": 1}],
                    },
                    {
                        "kind": "scenario",
                        "weight": 0.5,
                        "draw": [{"level": "professional", "count": 1}],
                    },
                ],
            ),
        ],
        items,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    env: dict[str, str]

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """The JSON API with a bearer token, to set the scene without the browser."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
        return json.loads(raw) if raw else None

    def cli(self, *args: str) -> str:
        """Runs the `assay` command against this server's database."""
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "app.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def scenario_as_given(self, attempt_id: str, ref: str) -> Scenario:
        """The scenario of an attempt's item as the candidate got it: rendered with the
        attempt's variant (read from the server's database), so its solution is theirs."""
        database = self.env["ASSAY_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
        with contextlib.closing(sqlite3.connect(database)) as db:
            scenario_id, params = db.execute(
                "SELECT scenario_id, scenario_params FROM attempt_items"
                " WHERE attempt_id = ? AND ref = ?",
                (uuid.UUID(attempt_id).hex, ref),
            ).fetchone()
        scenario = load_scenarios(Path(self.env["ASSAY_SCENARIOS"]))[scenario_id]
        return scenario.variant(json.loads(params)) if params else scenario

    def token(self, email: str) -> str:
        form = f"username={email}&password={PASSWORD.replace(' ', '+')}".encode()
        request = urllib.request.Request(  # noqa: S310
            self.url + "/api/v1/auth/token", data=form, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return str(json.loads(response.read())["access_token"])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_browser_tools()
    yield from serve(tmp_path_factory.mktemp("e2e"), REPO / "scenarios")


def serve(root: Path, scenarios: Path) -> Iterator[Server]:
    """Runs a server on its own database in ``root`` with the scenarios of ``scenarios``
    until the generator is closed."""
    port = _free_port()
    env = {
        **os.environ,
        "ASSAY_ENV": "test",
        "ASSAY_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'assay.db'}",
        "ASSAY_QUESTION_BANK": str(e2e_bank(root / "bank")),
        "ASSAY_SCENARIOS": str(scenarios),
        "ASSAY_SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
        "ASSAY_LOG_LEVEL": "WARNING",
        "ASSAY_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ASSAY_SIGNING_KEYS_FILE": str(root / "signing-keys.json"),
        # No attempt is drawn for review at random: the tests decide which are held.
        "ASSAY_REVIEW_SAMPLE_PERCENT": "0",
    }
    log = (root / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", SERVE, str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(root / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready: {(root / 'server.log').read_text()}")
            time.sleep(0.1)
        yield Server(url, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module-scoped: while Playwright's sync API is open, its event loop counts as
    # running on this thread, and the async tests of the next modules need it closed.
    _require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any, server: Server) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    # axe-core goes in as an inline script, which the pages' policy rightly refuses:
    # these contexts bypass it; test_policies.py checks the pages under the policy.
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 860}, bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the pages are photographed: docs/screenshots when ASSAY_SCREENSHOTS=1
    (to refresh the README's pictures), a temporary folder otherwise."""
    if os.environ.get("ASSAY_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def assert_accessible(page: Any, name: str) -> list[dict[str, Any]]:
    """Injects axe-core and fails on any serious or critical violation (WCAG 2.x A/AA
    and best practices). Returns every violation, minor ones included, for the record."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async () => await window.axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    violations: list[dict[str, Any]] = results["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"accessibility problems on {name}:\n" + "\n".join(bad)
    report = os.environ.get("ASSAY_AXE_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(
                json.dumps(
                    {"page": name, "violations": [(v["id"], v["impact"]) for v in violations]}
                )
                + "\n"
            )
    return violations
