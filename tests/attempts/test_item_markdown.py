"""A candidate gets each item's Markdown rendered on the server, safe to show as HTML,
beside the text as written."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.bank import blueprint, item, write_bank
from tests.conftest import sign_up


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    items = [
        item(
            "lifecycle",
            "foundation",
            n,
            stem=f"Case {n}: the rollout of `model-v{n}` stalled.\n\nWhich **first** step <b>now</b>?",
            options=4,
        )
        for n in range(1, 4)
    ] + [item("data", "foundation", n) for n in range(1, 3)]
    for it in items[:3]:
        it["options"][0]["text"] = "Run `kubectl rollout undo deployment/scorer`"
    return write_bank(tmp_path / "bank", [blueprint("test-foundation")], items)


async def test_stems_and_options_come_rendered_and_escaped(
    client: httpx.AsyncClient, published: Path
) -> None:
    candidate = await sign_up(client)
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    seen = 0
    for slot in attempt["items"]:
        got = (await candidate.get(f"/api/v1/attempts/{attempt['id']}/items/{slot['ref']}")).json()
        if "rollout" not in got["stem"]:
            continue
        seen += 1
        assert "<code>model-v" in got["stem_html"] and "<strong>first</strong>" in got["stem_html"]
        assert "<b>" not in got["stem_html"] and "&lt;b&gt;" in got["stem_html"]
        rendered = {o["html"] for o in got["options"]}
        assert "Run <code>kubectl rollout undo deployment/scorer</code>" in rendered
        assert all(o["text"] for o in got["options"])  # the source stays there too
    assert seen == 3
