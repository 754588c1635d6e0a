"""The registry is the single source of truth; snapshots and generated docs must agree with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import Field

from msp_events import REGISTRY, EventData, event
from msp_events.catalog import render_catalog
from msp_events.registry import SERVICES, Registry, dead_letter_topic
from msp_events.schemas import SCHEMAS_DIR, breaking_changes, check, export, schema_of

REPO = Path(__file__).resolve().parents[3]

REQUIRED_TYPES = {
    "client.profitability.changed",
    "sales.opportunity.identified",
    "resource.utilization.alert",
    "license.compliance.violation",
    "spend.anomaly.detected",
    "contract.renewal.due",
    "psa.client.upserted",
    "psa.agreement.upserted",
    "psa.technician.upserted",
    "psa.ticket.updated",
    "psa.time_entry.logged",
    "billing.invoice.issued",
    "billing.payment.received",
    "crm.opportunity.upserted",
    "licensing.subscription.upserted",
    "licensing.seat.activity",
    "rmm.software.inventoried",
    "finance.expense.recorded",
    "finance.budget.set",
    "cloud.cost.recorded",
    "dispatch.visit.requested",
    "vcm.contract.document.received",
    "clock.ticked",
    "decision.proposed",
    "decision.vote.cast",
    "decision.reached",
}


def test_every_required_type_is_registered() -> None:
    assert {spec.type for spec in REGISTRY} >= REQUIRED_TYPES


def test_topics_mirror_types_and_dead_letters_are_per_consumer() -> None:
    spec = REGISTRY.get("client.profitability.changed")
    assert spec.topic == "client.profitability.changed"
    assert spec.dead_letter_topic("ram") == "dlt.ram.client.profitability.changed"
    assert dead_letter_topic("cpi", "psa.client.upserted") == "dlt.cpi.psa.client.upserted"
    for spec in REGISTRY:
        assert set(spec.consumers) <= set(SERVICES)
        assert all(ch.islower() or ch.isdigit() or ch in "._" for ch in spec.topic)


def test_a_breaking_change_gets_its_own_topic() -> None:
    registry = Registry()

    class Payload(EventData):
        """A test payload."""

        thing_id: str

    import msp_events.registry as module

    original = module.REGISTRY
    module.REGISTRY = registry
    try:
        event("test.thing.changed", owner="cpi", key="thing_id", major=2)(Payload)
    finally:
        module.REGISTRY = original
    assert registry.get("test.thing.changed").topic == "test.thing.changed.v2"


def test_declaring_a_type_checks_its_key_docstring_and_consumers() -> None:
    class NoDoc(EventData):
        thing_id: str

    with pytest.raises(ValueError, match="needs a docstring"):
        event("test.nodoc.changed", owner="cpi", key="thing_id")(NoDoc)
    with pytest.raises(ValueError, match="partition key 'missing'"):
        event("test.nokey.changed", owner="cpi", key="missing")(NoDoc)
    with pytest.raises(ValueError, match="unknown consumers"):
        event("test.bad.changed", owner="cpi", key="thing_id", consumers=("crm",))
    with pytest.raises(ValueError, match="owner 'billing'"):
        event("test.bad.changed", owner="billing", key="thing_id")


def test_committed_snapshots_match_the_registry() -> None:
    assert check() == [], "run `msp-events schemas export` after a compatible, version-bumped change"


def test_generated_catalog_is_up_to_date() -> None:
    assert (REPO / "docs" / "events.md").read_text() == render_catalog(), "run `msp-events catalog`"


class V1(EventData):
    """Version 1."""

    client_id: str = Field(description="the client")
    amount: int


class V1Additive(EventData):
    """Version 1.1: a new optional field."""

    client_id: str = Field(description="the client, reworded")
    amount: int
    note: str | None = None


class V1Removed(EventData):
    """Version 1.1 that drops a field."""

    client_id: str


class V1Retyped(EventData):
    """Version 1.1 that changes a field's type."""

    client_id: str
    amount: str


class V1Required(EventData):
    """Version 1.1 that adds a required field."""

    client_id: str
    amount: int
    region: str


def test_additive_changes_and_rewording_are_compatible() -> None:
    old = V1.model_json_schema()
    assert breaking_changes(old, V1Additive.model_json_schema()) == []


@pytest.mark.parametrize(
    ("new", "change"),
    [
        (V1Removed, "field amount removed"),
        (V1Retyped, "field amount changed type"),
        (V1Required, "field region became required"),
    ],
)
def test_incompatible_changes_are_caught(new: type[EventData], change: str) -> None:
    assert change in breaking_changes(V1.model_json_schema(), new.model_json_schema())


def test_the_gate_refuses_a_changed_schema_without_a_version_bump(tmp_path: Path) -> None:
    registry = Registry()
    import msp_events.registry as module

    original = module.REGISTRY
    module.REGISTRY = registry
    try:
        event("test.gate.changed", owner="cpi", key="client_id")(V1)
        export(tmp_path, registry)
        assert check(tmp_path, registry) == []
        registry._by_type.clear()
        event("test.gate.changed", owner="cpi", key="client_id")(V1Retyped)
        problems = [str(p) for p in check(tmp_path, registry)]
        assert problems == [
            "test.gate.changed: schema changed but version 1.0 did not: a breaking change "
            "(field amount changed type) needs major=2, then export"
        ]
        registry._by_type.clear()
        event("test.gate.changed", owner="cpi", key="client_id", minor=1)(V1Retyped)
        problems = [str(p) for p in check(tmp_path, registry)]
        assert "incompatible with 1.0 (field amount changed type)" in problems[0]
    finally:
        module.REGISTRY = original


def test_snapshots_are_json_schema_with_our_metadata() -> None:
    spec = REGISTRY.get("psa.time_entry.logged")
    snapshot = json.loads((SCHEMAS_DIR / spec.type / f"{spec.version}.json").read_text())
    assert snapshot == schema_of(spec)
    assert snapshot["x-msp-key"] == "time_entry_id" and snapshot["x-msp-owner"] == "source"
