"""VCM benchmark: extraction throughput, full-text search latency and per-field accuracy, each
against a baseline in the same run (ratios, never timed asserts).

* Extraction: ``--contracts`` (500) simulator contracts rendered as PDFs (rendering not timed);
  pages/s for VCM's read + extract against pypdf's text extraction alone (the floor any reader
  pays), and for the extraction alone on the same texts.
* Search: ``--search`` (10,000) contracts indexed in SQLite FTS5 (the embedded default) and, when
  ``DATABASE_URL`` points at PostgreSQL, its tsvector with a GIN index; median and p95 latency of
  ``--queries`` (50) word queries through ``ContractRepository.search`` against a ``LIKE``
  scan of the same texts (what a search without an index costs).
* Accuracy: per-field accuracy on the frozen held-out set (``services/vcm/tests/heldout``, not
  used to develop the extractor) and on the simulator's documents (which it was developed on).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import create_engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "vcm" / "bench"))

from sim_contracts import documents  # noqa: E402

from vcm.accuracy import score  # noqa: E402
from vcm.cli import extract_file  # noqa: E402
from vcm.domain.extraction import extract  # noqa: E402
from vcm.reading import read_document  # noqa: E402
from vcm.store.contracts import ContractRepository  # noqa: E402

HELDOUT = ROOT / "services" / "vcm" / "tests" / "heldout"
WORDS = ("automatically", "renewal", "Delaware", "indemnify", "confidential", "Proofpoint", "evergreen",
         "CPI", "cure breach", "Datto", "ninety", "governed laws", "Meraki licensing", "zebra")  # fmt: skip


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def extraction(count: int) -> None:
    docs = list(documents(count, seed=101))
    pdfs = [d.pdf() for d in docs]
    pages = sum(len(PdfReader(io.BytesIO(p)).pages) for p in pdfs)
    baseline = timed(lambda: [[pg.extract_text() for pg in PdfReader(io.BytesIO(p)).pages] for p in pdfs])
    vcm = timed(lambda: [extract(read_document(p).text or "").to_json() for p in pdfs])
    raw = [d.text for d in docs]
    only = timed(lambda: [extract(t) for t in raw])
    print(f"\nExtraction: {count} contracts, {pages} PDF pages ({pages / count:.1f} a contract)")
    print(f"  pypdf text only (baseline)   {pages / baseline:8.1f} pages/s")
    print(
        f"  VCM read + extract           {pages / vcm:8.1f} pages/s   "
        f"{vcm / baseline:.2f}x the baseline's time"
    )
    print(
        f"  VCM extract on the text      {count / only:8.1f} contracts/s ({only / count * 1000:.1f} ms each)"
    )


def _latencies(run: Callable[[str], object], queries: list[str]) -> tuple[float, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def search(count: int, queries: int, database_url: str | None) -> None:
    base = [d.text for d in documents(min(count, 1000), seed=202)]
    corpus = [(f"VC-{n:08d}", base[n % len(base)] + f"\nReference VCM{n:08d}") for n in range(count)]
    rng = random.Random(7)
    asked = [rng.choice(WORDS) for _ in range(queries)]
    targets = [("SQLite FTS5 (embedded)", "sqlite")]
    if database_url and database_url.startswith("postgresql"):
        targets.append(("PostgreSQL tsvector + GIN", database_url))
    print(f"\nSearch: {count} contracts, {queries} queries (median / p95 ms)")
    for name, target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/search.db" if target == "sqlite" else target
            engine = create_engine(url)
            with engine.begin() as c:
                if target == "sqlite":
                    c.execute(
                        text("CREATE VIRTUAL TABLE contract_search USING fts5(contract_id UNINDEXED, body)")
                    )
                    c.execute(text("CREATE TABLE plain (contract_id TEXT PRIMARY KEY, body TEXT)"))
                else:
                    c.execute(text("DROP TABLE IF EXISTS contract_search"))
                    c.execute(text("DROP TABLE IF EXISTS plain"))
                    c.execute(
                        text(
                            "CREATE TABLE contract_search "
                            "(contract_id varchar(64) PRIMARY KEY, body tsvector)"
                        )
                    )
                    c.execute(text("CREATE INDEX ix_bench_search ON contract_search USING gin (body)"))
                    c.execute(text("CREATE TABLE plain (contract_id varchar(64) PRIMARY KEY, body text)"))
            with Session(engine) as session:
                repo = ContractRepository(session)
                load = timed(lambda repo=repo: [repo.index_text(cid, body) for cid, body in corpus])
                session.execute(
                    text("INSERT INTO plain (contract_id, body) VALUES (:c, :b)"),
                    [{"c": cid, "b": body} for cid, body in corpus],
                )
                session.commit()
                indexed = _latencies(lambda q, repo=repo: repo.search(q, 50), asked)

                def like(q: str) -> object:
                    clauses = " AND ".join(f"lower(body) LIKE :w{i}" for i in range(len(q.split())))
                    params = {f"w{i}": f"%{w.lower()}%" for i, w in enumerate(q.split())}
                    return session.execute(
                        text(f"SELECT contract_id FROM plain WHERE {clauses} ORDER BY contract_id LIMIT 50"),
                        params,
                    ).all()

                scan = _latencies(like, asked)
            if target != "sqlite":
                with engine.begin() as c:
                    c.execute(text("DROP TABLE contract_search"))
                    c.execute(text("DROP TABLE plain"))
            engine.dispose()
        print(f"  {name:<28} index {load:6.1f} s   search {indexed[0]:7.2f} / {indexed[1]:7.2f}")
        print(
            f"  {'':<28} LIKE scan (baseline) {scan[0]:7.2f} / {scan[1]:7.2f}   "
            f"median LIKE / index {scan[0] / indexed[0]:.2f}x"
        )


def accuracy(sim_count: int) -> None:
    rows = [json.loads(line) for line in (HELDOUT / "truth.jsonl").read_text().splitlines()]
    held = score((r["file"], extract_file(HELDOUT / r["file"]), r) for r in rows)
    print(f"\nAccuracy on the frozen held-out set ({len(rows)} contracts, not used for development)")
    print(held.table())
    sim = score((d.name, extract(d.text).to_json(), d.truth) for d in documents(sim_count, seed=303))
    print(f"\nAccuracy on {sim_count} simulator documents (the extractor was developed on these)")
    print(sim.table())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contracts", type=int, default=500)
    parser.add_argument("--search", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--sim", type=int, default=500)
    parser.add_argument("--parts", default="extraction,search,accuracy", help="comma list of parts to run")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "extraction" in parts:
        extraction(args.contracts)
    if "search" in parts:
        search(args.search, args.queries, os.environ.get("DATABASE_URL"))
    if "accuracy" in parts:
        accuracy(args.sim)


if __name__ == "__main__":
    main()
