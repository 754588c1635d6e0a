"""RAM alone on a simulated log: CPU seconds and messages per CPU-second (in process, SQLite).

What RAM's handlers cost per message, the figure `make demo` adds up over six agents; compare two
versions on the same log (e.g. with ``PYTHONPATH`` pointing at an older checkout's sources):

    .venv/bin/msp-sim generate --out /tmp/ram.jsonl --seed 7 --clients 15 --technicians 5 --months 4
    .venv/bin/python bench/ram_alone.py /tmp/ram.jsonl
"""

import asyncio
import collections
import sys
import tempfile
import time

from msp_events import eventlog
from msp_events.registry import REGISTRY
from msp_events.testing.replay import replay

from ram.app import create_service
from ram.settings import Settings


async def main() -> None:
    consumed = {s.type for s in REGISTRY.consumed_by("ram")} | {"clock.ticked"}
    log = [e for e in eventlog.read(sys.argv[1]) if e.type in consumed]
    d = tempfile.mkdtemp()
    began = time.process_time()
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        log,
        database_url=f"sqlite:///{d}/r.db",
        timeout_s=1200,
    )
    cpu = time.process_time() - began
    kinds = collections.Counter(e.type for e in result.outputs)
    print(
        f"{len(log)} messages, {cpu:.1f} CPU s, {len(log) / cpu:.0f} messages per CPU-second; "
        f"outputs {dict(kinds)}"
    )


asyncio.run(main())
