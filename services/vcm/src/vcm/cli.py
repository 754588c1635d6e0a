"""``msp-vcm extract FILE... [--out results.jsonl]``: the key terms of contract files, one JSON a file.

Each object carries the file, its reading status and every field (value, CUAD category, evidence
with character offsets into the extracted text, confidence), ``null`` for a term the document does
not state. A file that cannot be read (unreadable, encrypted, empty, needs OCR) gets its status and
the reason in its own object; the other files go on, and the exit code is 1 when any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vcm.domain.extraction import extract
from vcm.reading import read_document


def extract_file(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"file": str(path)}
    try:
        content = path.read_bytes()
    except OSError as exc:
        return {**out, "status": "unreadable", "error": f"cannot open the file: {exc.strerror or exc}"}
    read = read_document(content, path.name)
    out.update(status=read.status, media_type=read.media_type, pages=read.pages)
    if read.status != "ok" or read.text is None:
        return {**out, "error": read.detail}
    terms = extract(read.text)
    return {**out, **terms.to_json(), "needs_review": terms.for_review()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msp-vcm", description="VCM: vendor contract tools")
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("extract", help="extract key contract terms with evidence, one JSON per file")
    ex.add_argument("files", nargs="+", type=Path, metavar="FILE")
    ex.add_argument("--out", type=Path, help="also write the objects to this JSON Lines file")
    args = parser.parse_args(argv)
    results = [extract_file(path) for path in args.files]
    lines = [json.dumps(r, ensure_ascii=False) for r in results]
    for line in lines:
        print(line)
    if args.out is not None:
        args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return 1 if any(r["status"] != "ok" for r in results) else 0


def entry() -> None:
    sys.exit(main())
