"""The causal trace: from the facts to one outcome, as the events themselves recorded it.

Every derived event carries ``causationid`` (the event it was handled from) and ``correlationid``
(the original fact of the whole chain). Walking ``causationid`` up from an outcome reaches the fact
that started it; walking down from that fact shows everything it caused. A busy cause (a month-end
clock tick fans out to every client) would drown the chain, so by default only the path to the
outcome is expanded and the other effects of each step are counted; ``full`` expands them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from msp_events.envelope import Envelope

MAX_FIGURES = 5
TEXT_FIGURE_MAX = 32
SKIPPED_FIELDS = frozenset({"summary", "detail", "why", "rationale", "text", "description"})


class TraceError(LookupError):
    """The event asked for is not in the log that was read."""


@dataclass
class TraceNode:
    envelope: Envelope[Any]
    on_path: bool = False
    target: bool = False
    children: list[TraceNode] = field(default_factory=list)
    other_effects: int = 0
    """Events this one caused that are not shown (not on the path, and the trace is not full)."""

    @property
    def agent(self) -> str:
        source = self.envelope.source
        return source.removeprefix("msp.") if source.startswith("msp.") else source

    def figures(self) -> dict[str, str]:
        return key_figures(self.envelope)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.envelope.id,
            "type": self.envelope.type,
            "time": self.envelope.time.isoformat(),
            "agent": self.agent,
            "figures": self.figures(),
            "on_path": self.on_path,
            "target": self.target,
            "other_effects": self.other_effects,
            "children": [child.as_dict() for child in self.children],
        }


@dataclass
class Trace:
    root: TraceNode
    target_id: str
    depth: int
    """Steps from the root fact to the target (0 when the target is a fact)."""
    missing_cause: str | None
    """The root's own cause when it is not in the log (the log starts after it, or it was lost)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target_id,
            "depth": self.depth,
            "missing_cause": self.missing_cause,
            "root": self.root.as_dict(),
        }


def trace(events: Iterable[Envelope[Any]], event_id: str, *, full: bool = False) -> Trace:
    """The chain behind ``event_id`` in ``events`` (a redelivered event counts once)."""
    by_id: dict[str, Envelope[Any]] = {}
    effects: dict[str, list[Envelope[Any]]] = defaultdict(list)
    read = 0
    for envelope in events:
        read += 1
        if envelope.id in by_id:
            continue
        by_id[envelope.id] = envelope
        if envelope.causationid:
            effects[envelope.causationid].append(envelope)
    if event_id not in by_id:
        raise TraceError(f"no event with id {event_id} among the {read} events read")
    path = [by_id[event_id]]
    seen = {event_id}
    while (cause := path[-1].causationid) and cause in by_id and cause not in seen:
        seen.add(cause)
        path.append(by_id[cause])
    on_path = {e.id for e in path}
    missing = path[-1].causationid if path[-1].causationid not in by_id else None

    def node(envelope: Envelope[Any], visiting: frozenset[str]) -> TraceNode:
        made = TraceNode(envelope, on_path=envelope.id in on_path, target=envelope.id == event_id)
        for child in sorted(effects.get(envelope.id, ()), key=lambda e: (e.time, e.type, e.id)):
            if child.id in visiting:
                continue  # a malformed log that loops: show each event once per branch
            if full or child.id in on_path:
                made.children.append(node(child, visiting | {child.id}))
            else:
                made.other_effects += 1
        return made

    root = path[-1]
    return Trace(node(root, frozenset({root.id})), event_id, len(path) - 1, missing)


def key_figures(envelope: Envelope[Any]) -> dict[str, str]:
    """What a person looks at first: the ids it is about, then money, numbers and short labels."""
    data = envelope.data.model_dump(mode="json") if hasattr(envelope.data, "model_dump") else envelope.data
    if not isinstance(data, dict):
        return {}
    ids: list[tuple[str, str]] = []
    money: list[tuple[str, str]] = []
    numbers: list[tuple[str, str]] = []
    labels: list[tuple[str, str]] = []
    for name, value in data.items():
        if name in SKIPPED_FIELDS or value is None:
            continue
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            money.append((name, _money(value)))
        elif name.endswith("_id") and isinstance(value, str):
            ids.append((name, value))
        elif isinstance(value, bool):
            labels.append((name, "yes" if value else "no"))
        elif isinstance(value, int | float):
            numbers.append((name, str(value)))
        elif isinstance(value, str) and _is_number(value):
            numbers.append((name, value))
        elif isinstance(value, str) and len(value) <= TEXT_FIGURE_MAX:
            labels.append((name, value))
    return dict((ids[:2] + money + numbers + labels)[:MAX_FIGURES])


def _money(value: dict[str, Any]) -> str:
    try:
        return f"{value['currency']} {Decimal(str(value['amount'])):,.2f}"
    except (InvalidOperation, ValueError):
        return f"{value['currency']} {value['amount']}"


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True
