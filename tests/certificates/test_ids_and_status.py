from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from app.certificates import ids
from app.certificates.status import CertificateStatus, StatusFacts, add_months, certificate_status


def test_ids_are_long_random_and_readable() -> None:
    drawn = {ids.new_certificate_id() for _ in range(2000)}
    assert len(drawn) == 2000
    sample = next(iter(drawn))
    assert len(sample) == 18 and set(sample) <= set(ids.ALPHABET)
    assert ids.DATA_CHARS * 5 >= 80  # at least 80 random bits
    shown = ids.display(sample)
    assert len(shown.split("-")) == 3 and all(len(g) == 6 for g in shown.split("-"))


def test_typed_ids_are_normalised() -> None:
    cert = ids.new_certificate_id()
    shown = ids.display(cert)
    assert ids.normalise(shown) == cert
    assert ids.normalise(shown.lower().replace("-", " ")) == cert
    with_o = cert.replace("0", "O")
    assert ids.normalise(with_o) == cert


def test_every_single_typo_and_neighbour_swap_is_caught() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        cert = ids.new_certificate_id()
        position = rng.randrange(len(cert))
        wrong = rng.choice([c for c in ids.ALPHABET if c != cert[position]])
        assert ids.normalise(cert[:position] + wrong + cert[position + 1 :]) is None
        i = rng.randrange(len(cert) - 1)
        if cert[i] != cert[i + 1]:
            swapped = cert[:i] + cert[i + 1] + cert[i] + cert[i + 2 :]
            assert ids.normalise(swapped) is None


@pytest.mark.parametrize("raw", ["", "abc", "Z" * 40, "!!!!!!-!!!!!!-!!!!!!", "../../etc/passwd"])
def test_garbage_is_not_an_id(raw: str) -> None:
    assert ids.normalise(raw) is None


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 3, 2), 36) == date(2029, 3, 2)
    assert add_months(date(2026, 3, 2), -6) == date(2025, 9, 2)


def test_status_by_date() -> None:
    facts = StatusFacts(expires_on=date(2028, 3, 2), revoked_at=None, superseded_by=None)
    assert certificate_status(facts, date(2026, 3, 2)) == CertificateStatus.active
    assert certificate_status(facts, date(2027, 9, 1)) == CertificateStatus.active
    assert certificate_status(facts, date(2027, 9, 2)) == CertificateStatus.expiring
    assert certificate_status(facts, date(2028, 3, 2)) == CertificateStatus.expiring
    assert certificate_status(facts, date(2028, 3, 3)) == CertificateStatus.expired
    revoked = StatusFacts(date(2028, 3, 2), datetime(2026, 5, 1, tzinfo=UTC), None)
    assert certificate_status(revoked, date(2026, 6, 1)) == CertificateStatus.revoked
    renewed = StatusFacts(date(2028, 3, 2), None, "NEWID")
    assert certificate_status(renewed, date(2027, 12, 1)) == CertificateStatus.superseded
