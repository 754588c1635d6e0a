"""Security lint of the chart's rendered manifests with checkov (its Kubernetes checks).

    python tools/deploy/lint_security.py                 # every ci/*.yaml values file
    python tools/deploy/lint_security.py -f values.yaml  # your own values

Renders each values file (render_chart.py), runs checkov once over all of them and prints one line per
failed check: values file, resource, check id and what it means. Exits 1 on any failure. Checks the chart
deliberately does not follow are in ACCEPTED with the reason; everything else must pass, so a container
running as root, a missing probe or a missing resource limit fails `make test`.

checkov lives in its own virtualenv (tools/deploy/install-checkov.sh, run by `make install`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"

# Checks the chart does not follow, and why. Keep each reason true: remove an entry when the chart
# starts to comply.
ACCEPTED: dict[str, str] = {
    "CKV_K8S_15": "imagePullPolicy IfNotPresent: release tags are immutable (ECR IMMUTABLE); "
    "global.image.pullPolicy sets Always where wanted",
    "CKV_K8S_21": "no namespace in the manifests: Helm installs into the release namespace (-n)",
    "CKV_K8S_35": "DATABASE_URL and the Kafka SASL user come from Secrets as env: the settings are "
    "read from the environment (pydantic-settings)",
    "CKV_K8S_43": "images by tag, not digest: the tag is the immutable build id of the release",
}


@dataclass(frozen=True)
class Finding:
    """One failed check on one rendered resource."""

    values_file: str
    resource: str
    check_id: str
    check_name: str

    def __str__(self) -> str:
        return f"{self.values_file}: {self.resource}: {self.check_id} {self.check_name}"


def checkov_path() -> Path:
    path = Path(os.environ.get("CHECKOV", CHECKOV))
    if not path.exists():
        raise FileNotFoundError(
            f"checkov is not installed at {path}: run tools/deploy/install-checkov.sh (make install does)"
        )
    return path


def scan(
    manifests_by_file: dict[str, list[dict[str, Any]]], accepted: Iterable[str] = ACCEPTED
) -> list[Finding]:
    """Runs checkov over rendered manifests ({values file label: manifests}); returns what failed."""
    with tempfile.TemporaryDirectory(prefix="msp-checkov-") as tmp:
        names: dict[str, str] = {}
        for index, (label, manifests) in enumerate(sorted(manifests_by_file.items())):
            name = f"{index:02d}.yaml"
            names[name] = label
            (Path(tmp) / name).write_text(yaml.safe_dump_all(manifests, sort_keys=False))
        command = [
            str(checkov_path()),
            "--directory",
            tmp,
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ]
        skip = sorted(accepted)
        if skip:
            command += ["--skip-check", ",".join(skip)]
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_NO_OUTPUT_COLOR": "1"}
        run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if run.returncode not in (0, 1) or not run.stdout.strip():
            raise RuntimeError(f"checkov failed (exit {run.returncode}): {run.stderr.strip()[-2000:]}")
        return _findings(json.loads(run.stdout), names)


def _findings(report: Any, names: dict[str, str]) -> list[Finding]:
    reports = report if isinstance(report, list) else [report]
    found = []
    for one in reports:
        for failed in (one.get("results") or {}).get("failed_checks", []):
            file = Path(failed.get("file_path", "")).name
            found.append(
                Finding(
                    names.get(file, file),
                    _resource(failed["resource"]),
                    failed["check_id"],
                    failed["check_name"],
                )
            )
    return sorted(set(found), key=lambda f: (f.values_file, f.resource, f.check_id))


def _resource(resource: str) -> str:
    """checkov names a resource Kind.namespace.name[.labels...]: keep Kind/name."""
    parts = resource.split(".")
    return f"{parts[0]}/{parts[2]}" if len(parts) >= 3 else resource


def rendered(values_files: Sequence[Path | None]) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    sys.path.insert(0, str(HERE))
    import render_chart

    manifests: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for values_file in values_files:
        result = render_chart.check(values_file)
        problems += [f"{result.label}: {p}" for p in result.problems]
        manifests[result.label] = [
            {k: v for k, v in m.items() if k != "__source__"} for m in result.manifests
        ]
    return manifests, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--values", type=Path, action="append", help="values file (repeatable)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import render_chart

    files: list[Path | None] = list(args.values or render_chart.ci_values_files() or [None])
    manifests, problems = rendered(files)
    for problem in problems:
        print(f"render: {problem}", file=sys.stderr)
    findings = scan(manifests)
    for finding in findings:
        print(f"FAIL {finding}", file=sys.stderr)
    total = sum(len(m) for m in manifests.values())
    print(
        f"checkov: {len(findings)} failed check(s) over {total} manifests from {len(files)} values file(s); "
        f"accepted: {', '.join(sorted(ACCEPTED))}",
        file=sys.stderr,
    )
    return 1 if findings or problems else 0


if __name__ == "__main__":
    sys.exit(main())
