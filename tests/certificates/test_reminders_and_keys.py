"""Expiry reminders through the outbox, each once; signing keys on disk; the commands."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from app.certificates import service
from app.certificates.credential import Issuer
from app.certificates.keys import SigningKeysMissing, load_credential_keys, rotate_file
from app.certificates.models import EmployerKey, OutboxMessage
from app.certificates.outbox import LogMailer, reminder_kind, run_reminders
from app.cli import cli
from app.config import Settings, get_settings
from app.core.clock import ManualClock
from app.core.db import session_scope
from tests.certificates.conftest import pass_exam
from tests.conftest import sign_up

ISSUER = Issuer("http://assay.test", "Assay")


def test_the_most_urgent_reminder_reached_is_due() -> None:
    assert [reminder_kind(d) for d in (120, 91, 90, 31, 30, 8, 7, 0, -1)] == [
        None,
        None,
        "expiry_90d",
        "expiry_90d",
        "expiry_30d",
        "expiry_30d",
        "expiry_7d",
        "expiry_7d",
        None,
    ]


async def test_reminders_go_out_at_90_30_and_7_days_each_once(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client, name="Ada Lovelace", email="ada@example.org")
    certificate_id = (await pass_exam(candidate, sessionmaker, clock))["certificate_id"]
    mailer = LogMailer()

    async def on(day: date) -> list[str]:
        clock.set(clock.now().replace(year=day.year, month=day.month, day=day.day))
        before = len(mailer.sent)
        await run_reminders(sessionmaker, clock, ISSUER, mailer)
        await run_reminders(sessionmaker, clock, ISSUER, mailer)  # a second pass: nothing new
        return [m.kind for m in mailer.sent[before:]]

    # Expires 2029-03-02.
    assert await on(date(2028, 12, 1)) == []  # 91 days left
    assert await on(date(2028, 12, 2)) == ["expiry_90d"]
    assert await on(date(2028, 12, 20)) == []
    assert await on(date(2029, 1, 31)) == ["expiry_30d"]
    assert await on(date(2029, 2, 23)) == ["expiry_7d"]
    assert await on(date(2029, 3, 1)) == []
    assert {m.recipient for m in mailer.sent} == {"ada@example.org"}
    assert str(certificate_id) in mailer.sent[0].body
    async with sessionmaker() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert len(rows) == 3 and all(r.sent_at is not None for r in rows)


async def test_a_certificate_found_late_gets_only_its_most_urgent_reminder(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    await pass_exam(candidate, sessionmaker, clock)
    mailer = LogMailer()
    clock.set(clock.now().replace(year=2029, month=2, day=10))  # 20 days left
    await run_reminders(sessionmaker, clock, ISSUER, mailer)
    assert [m.kind for m in mailer.sent] == ["expiry_30d"]


async def test_revoked_and_renewed_certificates_get_no_reminders(
    client: httpx.AsyncClient,
    published: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> None:
    candidate = await sign_up(client)
    certificate_id = str((await pass_exam(candidate, sessionmaker, clock))["certificate_id"])
    async with session_scope(sessionmaker) as session:
        await service.revoke(session, clock, certificate_id, "regraded")
    mailer = LogMailer()
    clock.set(clock.now().replace(year=2029, month=2, day=10))
    await run_reminders(sessionmaker, clock, ISSUER, mailer)
    assert mailer.sent == []


def test_dev_creates_a_private_key_file_once(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing-keys.json"
    dev = settings.model_copy(update={"env": "dev", "signing_keys_file": path})
    first = load_credential_keys(dev, _clock())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The next start reads the same key rather than making another.
    assert load_credential_keys(dev, _clock()).active_kid == first.active_kid
    assert all("d" not in k for k in first.jwks()["keys"])


def test_production_refuses_to_start_without_keys(settings: Settings, tmp_path: Path) -> None:
    production = settings.model_copy(
        update={"env": "production", "signing_keys_file": tmp_path / "missing.json"}
    )
    with pytest.raises(SigningKeysMissing):
        load_credential_keys(production, _clock())
    # From the environment instead of a file.
    path = tmp_path / "k.json"
    rotate_file(path, _clock())
    from_env = production.model_copy(update={"signing_keys": path.read_text()})
    assert load_credential_keys(from_env, _clock()).jwks()["keys"]


def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, tzinfo=UTC))


def test_keys_rotate_and_employers_create_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "signing-keys.json"
    monkeypatch.setenv("ASSAY_SIGNING_KEYS_FILE", str(key_file))
    monkeypatch.setenv("ASSAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["keys", "rotate"])
        second = runner.invoke(cli, ["keys", "rotate", "--algorithm", "RS256"])
        assert first.exit_code == second.exit_code == 0, first.output + second.output
        refused = runner.invoke(cli, ["keys", "rotate", "--algorithm", "HS256"])
        assert refused.exit_code != 0
        published = json.loads(runner.invoke(cli, ["keys", "jwks"]).stdout)
        kids = [first.stdout.strip(), second.stdout.strip()]
        url = "http://127.0.0.1:8000/keys/"
        assert [k["kid"] for k in published["keys"]] == [*kids, *(url + k for k in kids)]
        assert [(k["kty"], k["alg"]) for k in published["keys"][:2]] == [
            ("EC", "ES256"),
            ("RSA", "RS256"),
        ]
        created = runner.invoke(cli, ["employers", "create", "--name", "Acme"])
        assert created.exit_code == 0, created.output
        assert created.stdout.strip().startswith("assay_ek_")
    finally:
        get_settings.cache_clear()


async def test_employer_keys_are_stored_hashed(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    async with session_scope(sessionmaker) as session:
        _, plain = await service.create_employer_key(session, clock, "Acme")
    async with sessionmaker() as session:
        (row,) = (await session.execute(select(EmployerKey))).scalars().all()
        assert plain.split("_")[-1] not in row.secret_hash
        assert (await service.employer_for_key(session, plain)).name == "Acme"
