"""Render, lint and validate the msp-agents Helm chart without a helm binary, a cluster or a network.

    python tools/deploy/render_chart.py                      # every ci/*.yaml values file
    python tools/deploy/render_chart.py -f my-values.yaml -o rendered.yaml

For each values file: ``helm lint`` and the values schema (Helm 4 Go SDK through ``helm_python``,
package ``helm-python-sdk``), ``helm template``, then every rendered manifest is checked against the
Kubernetes OpenAPI schemas of ``--kube-version`` in strict mode (``kubernetes-validate``: unknown fields
fail). Exits 1 with one line per problem; 0 when every values file is clean.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "msp-agents"
KUBE_VERSION = "1.33.0"
RELEASE = "ci"
NAMESPACE = "msp"

# Kinds from CRDs have no schema in kubernetes-validate; for these the chart's own shape is checked.
CRD_REQUIRED_SPEC: dict[tuple[str, str], tuple[str, ...]] = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("selector", "endpoints"),
    ("monitoring.coreos.com/v1", "PrometheusRule"): ("groups",),
    ("keda.sh/v1alpha1", "ScaledObject"): ("scaleTargetRef", "triggers"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): ("secretTargetRef",),
}


@dataclass
class Result:
    """What one values file rendered to, and everything wrong with it."""

    values_file: Path | None
    manifests: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.values_file is None:
            return "<chart defaults>"
        path = self.values_file.resolve()
        return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m.get("kind") == kind]

    def names(self, kind: str) -> set[str]:
        return {m["metadata"]["name"] for m in self.objects(kind)}


def load_values(values_file: Path | None) -> dict[str, Any]:
    if values_file is None:
        return {}
    loaded = yaml.safe_load(values_file.read_text()) or {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{values_file}: top level must be a mapping")
    return loaded


def lint(chart: Path, values: dict[str, Any], kube_version: str = KUBE_VERSION) -> list[str]:
    """helm lint; warnings count as problems (what `helm lint --strict` fails on), info does not."""
    report = helm.lint(str(chart), values, namespace=NAMESPACE, kube_version=f"v{kube_version}")
    problems = [f"helm lint: {error}" for error in report.get("errors") or []]
    problems += [
        f"helm lint: {message['path']}: {message['error']}"
        for message in report.get("messages") or []
        if message.get("severity", 0) >= 2
    ]
    return problems


def render(chart: Path, values: dict[str, Any]) -> dict[str, str]:
    """helm template: {template path: rendered text}; raises helm_python.HelmError on bad values."""
    with helm.Chart.load(str(chart)) as loaded:
        loaded.validate_schema(values)
        return loaded.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def split_manifests(rendered: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
    manifests: list[dict[str, Any]] = []
    notes = ""
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        for document in yaml.safe_load_all(text):
            if document:
                manifests.append({"__source__": path, **document})
    return manifests, notes


def _without_source(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k != "__source__"}


def validate(manifests: Iterable[dict[str, Any]], kube_version: str = KUBE_VERSION) -> list[str]:
    """Strict OpenAPI validation of every manifest; CRD kinds get the shape check above."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for manifest in manifests:
        kind, api_version = manifest.get("kind", "?"), manifest.get("apiVersion", "?")
        name = (manifest.get("metadata") or {}).get("name", "?")
        where = f"{manifest.get('__source__', '?')}: {kind}/{name}"
        if (kind, name) in seen:
            problems.append(f"{where}: rendered twice")
        seen.add((kind, name))
        if "namespace" in (manifest.get("metadata") or {}):
            problems.append(f"{where}: sets metadata.namespace (use --namespace)")
        if (api_version, kind) in CRD_REQUIRED_SPEC:
            missing = [
                k for k in CRD_REQUIRED_SPEC[api_version, kind] if k not in (manifest.get("spec") or {})
            ]
            problems += [f"{where}: spec.{k} is missing" for k in missing]
            continue
        try:
            kubernetes_validate.validate(_without_source(manifest), kube_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path) or "<root>"
            problems.append(f"{where}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{where}: {error.message}")
    return problems


def check(
    values_file: Path | None,
    chart: Path = CHART,
    kube_version: str = KUBE_VERSION,
    extra: dict[str, Any] | None = None,
) -> Result:
    """Lint, render and validate the chart with one values file (plus `extra` values on top)."""
    result = Result(values_file)
    try:
        values = load_values(values_file)
        if extra:
            values = deep_merge(values, extra)
        result.problems += lint(chart, values, kube_version)
        result.manifests, result.notes = split_manifests(render(chart, values))
    except (helm.HelmError, ValueError, yaml.YAMLError) as error:
        result.problems.append(f"{type(error).__name__}: {error}")
        return result
    result.problems += validate(result.manifests, kube_version)
    return result


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def ci_values_files(chart: Path = CHART) -> list[Path]:
    return sorted((chart / "ci").glob("*.yaml"))


def to_yaml(result: Result) -> str:
    return "".join(
        f"---\n# Source: {m['__source__']}\n" + yaml.safe_dump(_without_source(m), sort_keys=False)
        for m in result.manifests
    )


COMPOSE_ALERTS = REPO / "deploy" / "observability" / "alerts.yml"


def compose_alerts(chart: Path = CHART) -> str:
    """The chart's PrometheusRule groups as a plain Prometheus rule file for the compose profile.

    The compose stack has no namespaces, so the namespace matcher is dropped; everything else is the
    chart's, so the two never drift apart (test_chart checks the committed file).
    """
    only_rules = {
        "prometheusRule": {"enabled": True},
        "serviceMonitor": {"enabled": True},
        "global": {"auth": {"disabled": True}},  # only the rules are read: no token issuer needed
    }
    result = check(None, chart, extra=only_rules)
    if result.problems:
        raise ValueError("; ".join(result.problems))
    (rule,) = result.objects("PrometheusRule")
    text = yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False, width=1000)
    text = text.replace(f'{{namespace="{NAMESPACE}"}}', "")
    header = (
        "# Generated by `python tools/deploy/render_chart.py --compose-alerts` "
        "from the chart's PrometheusRule.\n"
    )
    return header + text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument(
        "-f",
        "--values",
        type=Path,
        action="append",
        help="values file (repeatable, each checked on its own); default: the chart's ci/*.yaml",
    )
    parser.add_argument("--kube-version", default=KUBE_VERSION)
    parser.add_argument(
        "-o", "--output", type=Path, help="write the rendered manifests of the last values file"
    )
    parser.add_argument(
        "--compose-alerts",
        action="store_true",
        help="write the chart's alerting rules for the compose file's Prometheus "
        f"({COMPOSE_ALERTS.relative_to(REPO)})",
    )
    args = parser.parse_args(argv)
    if args.compose_alerts:
        COMPOSE_ALERTS.write_text(compose_alerts(args.chart))
        print(f"wrote {COMPOSE_ALERTS.relative_to(REPO)}", file=sys.stderr)
        return 0

    values_files: list[Path | None] = list(args.values or ci_values_files(args.chart) or [None])
    failed = False
    for values_file in values_files:
        started = time.perf_counter()
        result = check(values_file, args.chart, args.kube_version)
        elapsed = time.perf_counter() - started
        status = "FAIL" if result.problems else "ok"
        print(
            f"{status:4} {result.label}: {len(result.manifests)} manifests, "
            f"k8s {args.kube_version} strict, {elapsed:.2f}s",
            file=sys.stderr,
        )
        for problem in result.problems:
            print(f"     {problem}", file=sys.stderr)
        failed |= bool(result.problems)
        if args.output:
            args.output.write_text(to_yaml(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
