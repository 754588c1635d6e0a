"""Wait until a Kafka broker really answers a metadata request (not just an open TCP port).

Used by kafka-up.sh; also handy on its own:

    python tools/infra/wait_kafka.py [--bootstrap 127.0.0.1:9092] [--timeout 90] [--pid PID]

Exit codes: 0 ready, 1 timed out, 2 the watched --pid died first, 3 aiokafka is not importable.
Needs aiokafka (the workspace venv has it); run it with the venv's python.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


async def _probe(bootstrap: str, request_timeout_ms: int) -> int:
    """One metadata round trip through the admin client; returns the number of brokers seen."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        retry_backoff_ms=200,
    )
    try:
        await admin.start()
        await admin.list_topics()  # a MetadataRequest that the broker must answer
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers", []))
    finally:
        await admin.close()


async def wait(bootstrap: str, wait_s: float, pid: int | None) -> int:
    deadline = time.monotonic() + wait_s
    last_error: BaseException | None = None
    while True:
        if pid is not None and not _pid_alive(pid):
            print(f"wait_kafka: broker process {pid} exited before it was ready", file=sys.stderr)
            return 2
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(
                f"wait_kafka: {bootstrap} not ready after {wait_s:.0f}s (last error: {last_error!r})",
                file=sys.stderr,
            )
            return 1
        try:
            per_try = max(1.0, min(5.0, remaining))
            brokers = await asyncio.wait_for(_probe(bootstrap, int(per_try * 1000)), per_try + 1)
            if brokers >= 1:
                return 0
            last_error = RuntimeError("metadata lists no broker yet")
        except Exception as exc:  # connection refused, timeouts, broker not yet serving metadata...
            last_error = exc
        await asyncio.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--pid", type=int, default=None, help="give up early if this process dies")
    parser.add_argument("--quiet", action="store_true", help="one probe only, no messages (liveness)")
    args = parser.parse_args()

    try:
        import aiokafka  # noqa: F401
    except ImportError:
        print(f"wait_kafka: aiokafka is not importable by {sys.executable}", file=sys.stderr)
        return 3
    # aiokafka logs every refused connection at ERROR while the broker boots; that is expected here.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    if args.quiet:
        try:
            asyncio.run(asyncio.wait_for(_probe(args.bootstrap, 2000), 5))
            return 0
        except Exception:
            return 1
    return asyncio.run(wait(args.bootstrap, args.timeout, args.pid))


if __name__ == "__main__":
    sys.exit(main())
