"""Fault-injection fixtures: a private PostgreSQL that a test may restart, stop and start.

The shared PostgreSQL (``make infra-up``, 127.0.0.1:5432) serves every test run on the machine, so a
test that restarts its database must never touch it. ``private_postgres`` ``initdb``s a throwaway
cluster in a temporary directory with the Debian server binaries (the ones ``make infra-up``
installs), runs it on a free port of 127.0.0.1 with trust authentication, and removes it afterwards
whatever happened. PostgreSQL refuses to run as root, so as root the binaries run as the
``postgres`` OS user (``runuser``) in a directory that user owns.

The shared Kafka (127.0.0.1:9092) likewise serves everyone, so ``private_kafka`` runs a broker of its
own with ``tools/infra/kafka-up.sh`` (the very script ``make infra-up`` uses, so the broker is
configured alike): its own state directory (``MSP_INFRA_DIR``) and free ports for the client and
controller listeners; ``stop``/``start`` are ``kafka-down.sh``/``kafka-up.sh`` (a clean stop, so a
start skips log recovery), and it is stopped and wiped afterwards whatever happened. The jars come
from ``~/.m2`` and the classpath the default state dir already resolved (``KAFKA_CLASSPATH_FROM``),
so nothing is downloaded and no Maven runs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from msp_events.testing import auth as test_auth

DATABASE = "faults"


def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb`` and ``pg_ctl``."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted(
        (d for d in root.iterdir() if d.name.isdigit() and (d / "bin" / "initdb").exists()),
        key=lambda d: int(d.name),
    )
    return versions[-1] / "bin" if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """One throwaway cluster. ``url`` points at database ``faults`` in it (user ``postgres``, trust)."""

    def __init__(self, bin_dir: Path, base: Path) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data = base / "data"
        self.logfile = base / "postgres.log"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"
        self.running = False

    def _run(self, *args: str, timeout_s: float = 60) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # the server refuses root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            tail = self.logfile.read_text()[-2000:] if self.logfile.exists() else ""
            output = done.stderr + done.stdout
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {output}\n{tail}")

    def init(self) -> None:
        flags = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        self._run("initdb", "-D", str(self.data), *flags)
        self.start()
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres", isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        finally:
            admin.dispose()

    def start(self) -> None:
        # Own socket directory and port: nothing is shared with the cluster of `make infra-up`.
        # fsync off: the cluster is thrown away, and a fast shutdown checkpoints anyway.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base}"
            " -c fsync=off -c max_connections=100"
        )
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "-o", options
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (what a restart or a failover does to clients)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster for this test only, free to restart; removed afterwards."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.fail(
            "the PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin) are missing: "
            "run `make infra-up`, which installs them"
        )
    base = Path(tempfile.mkdtemp(prefix="msp-faults-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    server = PrivatePostgres(bin_dir, base)
    try:
        server.init()
        yield server
    finally:
        if server.running or (server.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                server.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


REPO = Path(__file__).resolve().parents[5]
INFRA = REPO / "tools" / "infra"


class PrivateKafka:
    """One throwaway single-node broker (KRaft) on free ports of 127.0.0.1; ``bootstrap`` names it."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.port = _free_port()
        self.controller_port = _free_port()
        while self.controller_port == self.port:
            self.controller_port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.running = False
        self.last_start_s = 0.0  # how long the last kafka-up.sh took
        self.env = {
            **os.environ,
            "MSP_INFRA_DIR": str(state),
            "KAFKA_HOST": "127.0.0.1",
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_HEAP_OPTS": os.environ.get("PRIVATE_KAFKA_HEAP_OPTS", "-Xms128m -Xmx512m"),
            "KAFKA_STOP_TIMEOUT": "30",
            "PYTHON": sys.executable,  # the workspace venv: it has aiokafka for wait_kafka.py
        }

    def _run(self, script: str, *args: str, timeout_s: float = 150) -> None:
        done = subprocess.run(
            [str(INFRA / script), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            log = self.state / "logs" / "broker.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{script} {' '.join(args)} failed ({done.returncode}) for the private broker in "
                f"{self.state}:\n{done.stderr[-3000:]}\n{tail}"
            )

    def start(self) -> None:
        """``kafka-up.sh``: returns once the broker answers a metadata request."""
        started = time.monotonic()
        self.running = True  # from here on, clean up even if the start fails half-way
        self._run("kafka-up.sh")
        self.last_start_s = time.monotonic() - started

    def stop(self) -> None:
        """``kafka-down.sh``: SIGTERM, so the broker shuts down cleanly (what a rolling restart does)."""
        self._run("kafka-down.sh")
        self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def wipe(self) -> None:
        self._run("kafka-down.sh", "--wipe", timeout_s=60)
        self.running = False


@pytest.fixture
def private_kafka() -> Iterator[PrivateKafka]:
    """A private Kafka broker for this test only, free to stop and restart; stopped and wiped afterwards."""
    if not (INFRA / "kafka-up.sh").exists():
        pytest.fail(
            f"{INFRA / 'kafka-up.sh'} is missing: private_kafka needs the repository checkout (tools/infra)"
        )
    broker = PrivateKafka(Path(tempfile.mkdtemp(prefix="msp-faults-kafka-")))
    try:
        broker.start()
        yield broker
    finally:
        try:
            broker.wipe()
        finally:
            shutil.rmtree(broker.state, ignore_errors=True)


class ServiceProcess:
    """A service run as its own OS process (``python SCRIPT serve``), as in production: a fault
    test can SIGKILL it, stop it gracefully, or read its ``/readyz`` (``port``) and ``/metrics``
    (``metrics_port``) over HTTP. Its API trusts the test issuer (``msp_events.testing.auth``),
    with authentication on as in production, unless ``env`` says otherwise."""

    def __init__(
        self,
        script: Path,
        env: dict[str, str],
        log: Path,
        *,
        name: str = "service",
        log_level: str = "warning",
    ) -> None:
        self.name = name
        self.port = _free_port()
        self.metrics_port = _free_port()
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, str(script), "serve", "--log-level", log_level],
            env={
                **os.environ,
                **test_auth.env(),
                **env,
                "HTTP_PORT": str(self.port),
                "METRICS_PORT": str(self.metrics_port),
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no graceful stop, whatever was in flight is left to the inbox and outbox."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (the graceful stop), then SIGKILL if it has not stopped within 20 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def service_processes() -> Iterator[list[ServiceProcess]]:
    """Append the processes a test starts; each is stopped afterwards, whatever happened."""
    started: list[ServiceProcess] = []
    yield started
    for process in started:
        process.stop()
