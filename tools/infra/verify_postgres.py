"""Check the PostgreSQL set up by postgres-up.sh, with psycopg 3 over TCP and password auth.

    python tools/infra/verify_postgres.py [HOST:PORT]     # default 127.0.0.1:5432

For each role msp, cpi, spo, ram, sli, dsa, vcm (password = name, database = name): log in, create/drop a
table in its own database. For msp also: create and drop a throwaway database (CREATEDB), as tests do.
Prints one line per check and a closing "N passed, N failed"; exits 1 if any check failed.
"""

from __future__ import annotations

import functools
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

HOSTPORT = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:5432"
HOST, PORT = HOSTPORT.rsplit(":", 1)
ROLES = [
    "msp",
    *sorted(
        p.parent.name for p in (Path(__file__).resolve().parents[2] / "services").glob("*/pyproject.toml")
    ),
]


def conninfo(role: str, db: str) -> str:
    return f"host={HOST} port={PORT} user={role} password={role} dbname={db} connect_timeout=5"


def check_role(role: str) -> str:
    with psycopg.connect(conninfo(role, role), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_user, current_database(), pg_get_userbyid(datdba) "
            "FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        user, db, owner = row
        assert (user, db, owner) == (role, role, role), (user, db, owner)
        conn.execute("CREATE TABLE IF NOT EXISTS _verify (id int)")
        conn.execute("INSERT INTO _verify VALUES (1)")
        conn.execute("DROP TABLE _verify")
        version = conn.execute("SELECT current_setting('server_version')").fetchone()
    return f"login as {role}, db {role} owned by {role}, DDL ok (server {version[0] if version else '?'})"


def check_throwaway_db() -> str:
    name = f"verify_{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    with psycopg.connect(conninfo("msp", "msp"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(conninfo("msp", name), autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
    with psycopg.connect(conninfo("msp", "msp"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
    return f"msp created, used and dropped database {name} in {time.monotonic() - t0:.2f}s"


def main() -> int:
    checks: list[tuple[str, Callable[[], str]]] = [
        (f"role {r}", functools.partial(check_role, r)) for r in ROLES
    ]
    checks.append(("msp CREATEDB", check_throwaway_db))
    passed = failed = 0
    for label, fn in checks:
        try:
            print(f"PASS {label}: {fn()}")
            passed += 1
        except Exception as exc:
            print(f"FAIL {label}: {exc!r}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
