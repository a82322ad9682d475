"""What a check-in costs the database: a bounded number of statements, whatever the
sitting asks (a roster) or the candidate has (an accommodation); a check-in asked again
(a reload) costs fewer still."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.clock import ManualClock
from tests.attempts.helpers import own_statements, sent_statements
from tests.conftest import Candidate, sign_up
from tests.sittings.test_api import DURATION, STARTS, _schedule, admin  # noqa: F401

# PostgreSQL: the admission line's ask and leave (SQLite keeps the line in memory, and
# sends its BEGIN IMMEDIATE as a statement, once per transaction); then on both: the
# candidate's overdue attempts (the sweep, its own transaction), the sitting with its
# exam, roster entry, accommodation and the candidate's attempts at the exam (one
# statement), certificates held, items seen, the attempt, its items, the exposure mark,
# the accommodation's event, the seat. The drawable pool and the exposure counters come
# from this process's caches, warmed by the first check-in; the sign-in from the session
# cache.
CHECK_IN = {"postgresql": 11, "sqlite": 11}
# Asked again: the line (or the two BEGINs), the sweep, the same read, the attempt's
# items.
CHECKED_IN_ALREADY = {"postgresql": 5, "sqlite": 5}


async def test_a_check_in_costs_a_bounded_number_of_statements(
    engine: AsyncEngine,
    admin: Candidate,  # noqa: F811
    client: httpx.AsyncClient,
    clock: ManualClock,
    published: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await sign_up(client, name="First In")
    second = await sign_up(client, name="Second In")
    granted = await admin.post(
        "/api/v1/review/accommodations",
        json={
            "email": second.email,
            "exam_code": "test-foundation",
            "extra_minutes": 15,
            "reason": "Documented reading accommodation",
        },
    )
    assert granted.status_code == 201, granted.text
    sitting = await _schedule(admin, roster=[first.email, second.email])
    url = f"/api/v1/sittings/{sitting['id']}/check-in"
    assert (await first.post(url)).status_code == 201  # warms the pool and exposure caches
    assert (await second.get("/api/v1/sittings")).status_code == 200  # and their sign-in

    with sent_statements(engine, monkeypatch) as seen:
        checked_in = await second.post(url)
    assert checked_in.status_code == 201, checked_in.text
    assert len(own_statements(seen)) == CHECK_IN[engine.dialect.name], "\n".join(seen)
    # The accommodation read with the sitting is applied.
    deadline = datetime.fromisoformat(checked_in.json()["deadline_at"])
    assert deadline == STARTS + DURATION + timedelta(minutes=15)

    with sent_statements(engine, monkeypatch) as seen:
        again = await second.post(url)
    assert again.status_code == 200 and again.json()["id"] == checked_in.json()["id"]
    assert len(own_statements(seen)) == CHECKED_IN_ALREADY[engine.dialect.name], "\n".join(seen)
