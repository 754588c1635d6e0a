"""The six agents as six OS processes (``python -m <agent> serve``), as they run in production.

Every installed agent (``msp_events.agents.installed()``, never a list of our own) gets its own
PostgreSQL database, created on the server the caller names, a free API port and a free metrics
port; all of them share one topic prefix unique to the run, so runs on one cluster (parallel tests,
a demo next to a bench) never see each other's events. A process can be killed with SIGKILL and
started again on the same database and prefix: what a crash and a pod restart do.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from msp_events import agents
from msp_events.registry import REGISTRY
from msp_events.runtime.kafka import ensure_topics
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.store import normalise_url

READY_TIMEOUT_S = 300.0
"""Six interpreters importing the agents, migrating and joining their groups: minutes on a loaded
2-core machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_id() -> str:
    """Short, unique per run: names the topic prefix and the databases."""
    return uuid.uuid4().hex[:8]


@dataclass
class AgentProcess:
    """One agent's process. The ports stay the same across restarts, so callers may keep URLs."""

    name: str
    module: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    last_answer: str = "not asked yet"
    """The last ``/readyz`` answer (or connection error), for the message when it never gets ready."""
    _log_file: IO[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.name} is already running (pid {self.proc.pid})")
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "serve", "--log-level", "warning"],
            env={
                **os.environ,
                **self.env,
                "HTTP_PORT": str(self.port),
                "METRICS_PORT": str(self.metrics_port),
            },
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1

    def ready(self) -> bool:
        try:
            answer = httpx.get(f"{self.api}/readyz", timeout=5)
        except httpx.HTTPError as exc:
            self.last_answer = f"{type(exc).__name__}"
            return False
        self.last_answer = f"{answer.status_code} {answer.text[:300]}"
        return answer.status_code == 200

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no graceful stop; what was in flight is left to the inbox and the outbox."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def terminate(self) -> None:
        """SIGTERM without waiting (``stop`` waits)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM (the graceful stop: the batch commits, the relay publishes), then SIGKILL after
        ``timeout_s``."""
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def wait_ready(processes: Iterable[AgentProcess], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Until every process answers ``/readyz`` 200 (database, broker, consumer); fails with its log."""
    waiting = list(processes)
    deadline = time.monotonic() + timeout_s
    while waiting:
        for process in list(waiting):
            if not process.alive():
                raise RuntimeError(f"{process.name} exited early:\n{process.tail()}")
            if process.ready():
                waiting.remove(process)
        if waiting and time.monotonic() > deadline:
            names = "; ".join(f"{p.name}: {p.last_answer}" for p in waiting)
            raise TimeoutError(f"not ready after {timeout_s}s: {names}\n{waiting[0].tail()}")
        if waiting:
            time.sleep(0.2)


class Databases:
    """One fresh database per agent on the server of ``admin_url``, dropped on ``drop()``."""

    def __init__(self, admin_url: str, run: str) -> None:
        self.admin_url = normalise_url(admin_url)
        self.run = run
        self.created: dict[str, str] = {}

    def create(self, agent: str) -> str:
        name = f"eco_{self.run}_{agent}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        url = make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
        self.created[agent] = url
        return url

    def drop(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for url in self.created.values():
                    name = make_url(url).database
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
        self.created.clear()


@dataclass
class Ecosystem:
    """Every installed agent as its own process on one Kafka cluster, one database each.

    ``prepare()`` creates the databases and every registry topic under a fresh prefix, ``launch()``
    starts the processes and waits for ``/readyz`` (``start()`` does both); ``close()`` stops them
    (SIGTERM) and drops the databases unless ``keep_databases``.
    """

    kafka: str
    database_url: str
    state_dir: Path
    run: str = field(default_factory=run_id)
    extra_env: dict[str, str] = field(default_factory=dict)
    keep_databases: bool = False
    processes: dict[str, AgentProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.databases = Databases(self.database_url, self.run)

    @property
    def prefix(self) -> str:
        return f"eco{self.run}."

    @property
    def kafka_settings(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.kafka, topic_prefix=self.prefix)

    def env_for(self, database_url: str) -> dict[str, str]:
        return {
            "MSP_TRANSPORT": "kafka",
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "KAFKA_TOPIC_PREFIX": self.prefix,
            # a killed member is evicted after this, so a restarted agent gets its partitions back
            # soon; not shorter: six cold starts on a loaded machine starve the heartbeats for
            # seconds (at 6 s the groups kept rebalancing)
            "KAFKA_SESSION_TIMEOUT_MS": "15000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "RELAY_POLL_S": "0.05",
            # this machine's APIs only, read by the harness; the services warn about it in their logs
            "AUTH_MODE": "off",
            **self.extra_env,
        }

    async def prepare(self) -> None:
        """The databases and every registry topic, before any agent runs: a log published now is a
        backlog the agents find on the broker when they start."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # every topic up front: the agents and the producer of the facts never race to create them
        await ensure_topics(self.kafka_settings, REGISTRY.partitions_by_topic())
        try:
            for name, agent in agents.installed().items():
                url = self.databases.create(name)
                self.processes[name] = AgentProcess(
                    name, agent.package, self.env_for(url), self.state_dir / f"{name}.log"
                )
        except BaseException:
            self.close()
            raise

    def launch(self) -> None:
        """Start every agent's process and wait until each answers ``/readyz``."""
        try:
            for process in self.processes.values():
                process.start()
            wait_ready(self.processes.values())
        except BaseException:
            self.close()
            raise

    async def start(self) -> None:
        """``prepare`` then ``launch``."""
        await self.prepare()
        self.launch()

    @property
    def launched(self) -> bool:
        return any(p.starts for p in self.processes.values())

    def restart(self, name: str) -> AgentProcess:
        """Start a killed or stopped agent again, on its database and ports; wait for ``/readyz``."""
        process = self.processes[name]
        process.start()
        wait_ready([process])
        return process

    def close(self) -> None:
        for process in self.processes.values():  # all at once: each stop may take its batch's time
            process.terminate()
        for process in self.processes.values():
            process.stop()
        if not self.keep_databases:
            self.databases.drop()

    def urls(self) -> dict[str, str]:
        """Each agent's database (to read its outbox, or its tables)."""
        return dict(self.databases.created)
