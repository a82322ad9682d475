"""`assay serve --workers N`: several serving processes on one port, PostgreSQL only."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from app import cli
from app.config import Settings


def _serve(monkeypatch: pytest.MonkeyPatch, database_url: str, workers: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def prepared(*_: Any) -> Any:
        return type("Report", (), {"new_exam_versions": 0, "new_item_versions": 0})()

    settings = Settings(database_url=database_url, secret_key="x" * 40)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(cli, "_prepare", prepared)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw, app=app))
    cli.serve(host="127.0.0.1", port=0, workers=workers)
    return seen


def test_several_workers_each_build_their_own_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(monkeypatch, "postgresql+asyncpg://postgres@127.0.0.1/assay", 2)
    assert seen["app"] == "app.main:serving_app" and seen["factory"] is True
    assert seen["workers"] == 2 and seen["proxy_headers"] is False


def test_several_workers_are_refused_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(typer.Exit) as refused:
        _serve(monkeypatch, "sqlite+aiosqlite:///assay.db", 2)
    assert refused.value.exit_code == 2


async def test_the_database_pools_take_their_sizes_from_the_settings() -> None:
    """What keeps several processes under PostgreSQL's max_connections."""
    from app.core.db import create_engine, dispose_engine, driver_pool

    engine = create_engine(
        "postgresql+asyncpg://postgres@127.0.0.1/assay", pool_size=7, driver_pool_size=5
    )
    try:
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        pool = driver_pool(engine)
        assert pool is not None and pool._max_size == 5
    finally:
        await dispose_engine(engine)
