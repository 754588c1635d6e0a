"""Month-by-month streaming generation of the event log and its truth file.

Memory is bounded by one month of events (as serialised lines) plus the small per-entity state:
each month's events are sorted by (time, id) and appended to the file, events dated after the
month carry over, and only per-client/per-technician monthly numbers are kept for the truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from msp_events.types.platform import ClockTicked

from msp_sim import billing, contracts, crm, finance, licensing, psa, rmm
from msp_sim.context import CarriedState, Line, MonthContext, Observations
from msp_sim.params import Params
from msp_sim.problems import plan_problems
from msp_sim.timeline import days_of_month, month_end, utc_midnight
from msp_sim.truth_builder import build_truth
from msp_sim.world import build_world

CLOCK_SOURCE = "platform.clock"

Progress = Callable[[int, int, int], None]
"""Called after each month with (months done, months in total, events written so far)."""


@dataclass
class Stats:
    """What a run wrote: events per type, total events and bytes, and where."""

    events: int = 0
    bytes: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    log_path: Path | None = None
    truth_path: Path | None = None


def truth_path_for(out_path: Path) -> Path:
    """``x.jsonl`` → ``x.truth.json`` (the sidecar next to the log)."""
    name = out_path.name.removesuffix(".jsonl")
    return out_path.with_name(f"{name}.truth.json")


def _clock(ctx: MonthContext) -> None:
    for day in days_of_month(ctx.first):
        at = utc_midnight(day)
        ctx.emit(ClockTicked(now=at, granularity="day"), source=CLOCK_SOURCE, time=at)


def generate(params: Params, out_path: str | Path, progress: Progress | None = None) -> Stats:
    """Write the log and its truth; returns counts per type and bytes written."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    world, plan = plan_problems(build_world(params))
    documents = contracts.vendor_contracts(params, [c.client_id for c in world.clients])
    state = CarriedState()
    observed = Observations()
    stats = Stats(log_path=out, truth_path=truth_path_for(out))
    carried: list[Line] = []
    months = params.month_starts()
    with out.open("w", encoding="utf-8", newline="\n") as file:
        for index, first in enumerate(months):
            ctx = MonthContext(params, world, plan, first, month_end(first), index, state, observed, carried)
            _clock(ctx)
            psa.generate(ctx)
            billing.generate(ctx)
            licensing.generate(ctx)
            rmm.generate(ctx)
            finance.generate(ctx)
            crm.generate(ctx)
            contracts.generate(ctx, documents)
            boundary = utc_midnight(month_end(first) + timedelta(days=1))
            ready = sorted(line for line in ctx.buffer if line[0] < boundary)
            carried = [line for line in ctx.buffer if line[0] >= boundary]
            for _, _, event_type, text in ready:
                file.write(text)
                file.write("\n")
                stats.events += 1
                stats.bytes += len(text.encode()) + 1
                stats.by_type[event_type] += 1
            del ready
            if progress is not None:
                progress(index + 1, len(months), stats.events)
    truth = build_truth(params, world, plan, observed, documents)
    assert stats.truth_path is not None
    stats.truth_path.write_text(truth.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return stats
