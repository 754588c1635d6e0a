"""JSON Schema snapshots of every event type and the compatibility gate.

Snapshots live in ``libs/events/schemas/<type>/<major>.<minor>.json`` and are committed. Within a
major version a change must be additive (a new optional field, a new type definition): consumers
of the older minor ignore what they do not know. Anything else (a removed or retyped field, a field
made required, a changed enumeration) breaks a consumer and needs a new major version, which gets
its own topic ``<type>.v<major>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msp_events.registry import REGISTRY, EventSpec, Registry

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
_COSMETIC = {"description", "title", "examples", "default"}


def schema_of(spec: EventSpec) -> dict[str, Any]:
    schema = spec.model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": spec.dataschema,
        "x-msp-type": spec.type,
        "x-msp-version": spec.version,
        "x-msp-owner": spec.owner,
        "x-msp-key": spec.key,
        **schema,
    }


def snapshot_path(spec: EventSpec, root: Path = SCHEMAS_DIR) -> Path:
    return root / spec.type / f"{spec.version}.json"


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def export(root: Path = SCHEMAS_DIR, registry: Registry = REGISTRY) -> list[Path]:
    """Write the snapshot of every type's current version (older versions are kept)."""
    written = []
    for spec in registry:
        path = snapshot_path(spec, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(schema_of(spec))
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


@dataclass(frozen=True)
class Problem:
    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


def check(root: Path = SCHEMAS_DIR, registry: Registry = REGISTRY) -> list[Problem]:
    """Every problem that makes the committed snapshots disagree with the registry."""
    problems: list[Problem] = []
    for spec in registry:
        current = schema_of(spec)
        path = snapshot_path(spec, root)
        earlier = _earlier_minors(spec, root)
        if earlier:
            previous = json.loads(earlier[-1].read_text())
            for change in breaking_changes(previous, current):
                problems.append(
                    Problem(
                        spec.type,
                        f"incompatible with {spec.major}.{earlier[-1].stem.split('.')[1]} ({change}); "
                        f"keep the change additive or declare major={spec.major + 1} (new topic "
                        f"{spec.type}.v{spec.major + 1})",
                    )
                )
        if not path.exists():
            problems.append(Problem(spec.type, f"no snapshot {path.name}: run `msp-events schemas export`"))
        elif json.loads(path.read_text()) != current:
            changes = breaking_changes(json.loads(path.read_text()), current)
            advice = (
                f"a breaking change ({changes[0]}) needs major={spec.major + 1}"
                if changes
                else f"an additive change needs minor={spec.minor + 1}"
            )
            problems.append(
                Problem(
                    spec.type, f"schema changed but version {spec.version} did not: {advice}, then export"
                )
            )
    return problems


def _earlier_minors(spec: EventSpec, root: Path) -> list[Path]:
    folder = root / spec.type
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{spec.major}.*.json"):
        minor = int(path.stem.split(".")[1])
        if minor < spec.minor:
            found.append((minor, path))
    return [p for _, p in sorted(found)]


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` would break a consumer built against ``old`` (empty when compatible)."""
    changes = _object_changes("", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            # A definition may be renamed or inlined; its users' shapes are compared anyway.
            continue
        changes.extend(_object_changes(f"{name}.", old_def, new_defs[name]))
    return changes


def _object_changes(prefix: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    if "enum" in old and old.get("enum") != new.get("enum"):
        changes.append(f"{prefix.rstrip('.') or 'root'} enumeration changed")
    for name, old_prop in old_props.items():
        if name not in new_props:
            changes.append(f"field {prefix}{name} removed")
        elif _shape(old_prop) != _shape(new_props[name]):
            changes.append(f"field {prefix}{name} changed type")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        changes.append(f"field {prefix}{name} became required")
    return changes


def _shape(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in _COSMETIC}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema
