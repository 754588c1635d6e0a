"""``msp-spo train|score``: the win model on any CRM export, the same code the service scores with.

``train`` prints what it learned and how well (cross-validated ROC-AUC per candidate, log loss,
a calibration table, and out-of-time figures with ``--time-col``) and writes the model as JSON;
``score`` writes every input row back with ``probability`` and ``why``. Bad input is a one-line
error naming file, line and column, and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from spo.winmodel.model import WinModel
from spo.winmodel.table import InputError, read_table
from spo.winmodel.train import train


def run_train(args: argparse.Namespace) -> int:
    table = read_table(Path(args.csv))
    drop = [c.strip() for c in args.drop.split(",") if c.strip()] if args.drop else []
    model, report = train(table, args.target, args.positive, drop, args.time_col, seed=args.seed)
    print(f"read {table.source}: encoding {table.encoding}, delimiter {table.delimiter!r}")
    for line in report.lines():
        print(line)
    Path(args.model).write_text(model.dumps() + "\n", encoding="utf-8")
    print(f"model ({model.family}, {model.training_rows} rows) -> {args.model}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    path = Path(args.model)
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    try:
        model = WinModel.loads(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a model written by 'msp-spo train' ({err})") from None
    table = read_table(Path(args.csv))
    explained = model.explain(table)
    with Path(args.out).open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([*table.header, "probability", "why"])
        for row, e in zip(table.rows, explained, strict=True):
            out.writerow([*row, f"{e.probability:.4f}", e.why])
    print(f"scored {len(table.rows)} rows ({model.family}) -> {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="msp-spo", description="Win probability from any won/lost history.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="learn a calibrated win model from a history CSV")
    t.add_argument("--csv", required=True, help="history export (delimiter and encoding are sniffed)")
    t.add_argument("--target", required=True, help="the outcome column")
    t.add_argument("--positive", help="the outcome value that counts as won (default yes/true/1)")
    t.add_argument("--drop", help="comma-separated columns not to learn from (ids, leaks)")
    t.add_argument("--time-col", help="date column: validate out of time on the latest 20 %%")
    t.add_argument("--model", required=True, help="where to write the model JSON")
    t.add_argument("--seed", type=int, default=0, help="seed for folds and boosting (default 0)")
    t.set_defaults(run=run_train)
    s = sub.add_parser("score", help="write every row back with probability and why")
    s.add_argument("--csv", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(run=run_score)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except InputError as err:
        print(f"msp-spo: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"msp-spo: error: {err}", file=sys.stderr)
        return 2


def entry() -> None:
    sys.exit(main())


__all__ = ["entry", "main"]
