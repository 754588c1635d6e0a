"""Test modules that other tests import by bare name (``sys.path`` + ``from test_x import``) must have
names no other test folder uses: one process (pytest-xdist runs whole files per worker, in any order)
caches the first ``test_x`` it imports, and a second service's ``from test_x import`` gets the wrong one.
Found when RAM's and VCM's integration tests both imported ``test_replay``."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BARE_IMPORT = re.compile(r"^from (\w+) import", re.MULTILINE)


def test_modules_imported_by_bare_name_exist_once() -> None:
    tests = [p for root in ("services", "tools", "libs") for p in (REPO / root).glob("*/tests/*.py")]
    by_name: dict[str, list[Path]] = defaultdict(list)
    for path in tests:
        by_name[path.stem].append(path)
    clashes = {}
    for path in tests:
        for name in BARE_IMPORT.findall(path.read_text(encoding="utf-8")):
            folders = {p.parent for p in by_name.get(name, [])}
            if path.parent in folders and len(by_name[name]) > 1:
                clashes[f"{path.relative_to(REPO)} imports {name}"] = sorted(
                    str(p.relative_to(REPO)) for p in by_name[name]
                )
    assert not clashes, f"rename the sibling modules so each name is unique: {clashes}"
