"""CPI's client-directory decisions, with hand-computed expectations (no database, no broker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cpi.domain.clients import ClientVersion, supersedes

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def version(**changes: object) -> ClientVersion:
    base = ClientVersion(
        client_id="C-1001", name="Contoso", status="active", tier="Pro", currency="USD", as_of=T0, digest="aa"
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_first_version_is_always_kept() -> None:
    assert supersedes(version(), None)


def test_newer_version_supersedes_older_and_not_the_reverse() -> None:
    old, new = version(), version(as_of=T0 + timedelta(seconds=1), status="churned")
    assert supersedes(new, old)
    assert not supersedes(old, new)


def test_versions_with_the_same_time_are_ordered_by_digest_whatever_arrives_first() -> None:
    a, b = version(tier="Essentials", digest="aa"), version(tier="Pro", digest="bb")
    assert supersedes(b, a)
    assert not supersedes(a, b)  # so a then b, or b then a, both end with b
    assert not supersedes(a, a)  # the same version again changes nothing
