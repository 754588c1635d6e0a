"""Database side of the runtime alone: ``BatchApplier.apply`` on batches of 200, against PostgreSQL.

No Kafka: this isolates what one batch costs in the service's database (inbox claim, handlers,
outbox append, commit). ``--profile`` prints where the time goes (cProfile). A measurement, not a test.

    .venv/bin/python bench/batch_apply.py [--messages 4000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from runtime import fresh_database, inputs, router  # bench/runtime.py, same folder

from msp_events.runtime.batch import BatchApplier, BatchPolicy
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.migrations import upgrade
from msp_events.runtime.store import make_engine
from msp_events.runtime.transport import Record


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url = fresh_database()
    upgrade(url, Path(tempfile.mkdtemp()))
    applier = BatchApplier(
        service="cpi",
        router=router,
        engine=make_engine(url),
        metrics=RuntimeMetrics("cpi"),
        policy=BatchPolicy(),
    )
    records = [
        Record("psa.client.upserted", 0, i, k, v, h) for i, (k, v, h, _) in enumerate(inputs(args.messages))
    ]
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profile:
        profile.enable()
    for i in range(0, len(records), 200):
        applier.apply(records[i : i + 200])
    if profile:
        profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{len(records) / elapsed:,.0f} messages/s through BatchApplier.apply ({len(records)} messages)")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
