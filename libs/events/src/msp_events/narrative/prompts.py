"""Prompts are files, reviewed like code: ``prompts/<kind>.md``, or a folder of them set by
``NARRATIVE_PROMPTS_DIR``; a kind without its own prompt uses ``_default.md``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from msp_events.narrative import NarrativeRequest

DEFAULT = "_default"


def system_prompt(kind: str, directory: str | Path | None = None) -> str:
    """The instructions for one kind of narrative (the system part of the conversation)."""
    if directory is not None:
        folder = Path(directory)
        for name in (kind, DEFAULT):
            path = folder / f"{name}.md"
            if path.is_file():
                return path.read_text(encoding="utf-8").strip()
    packaged = resources.files("msp_events.narrative").joinpath("prompts")
    for name in (kind, DEFAULT):
        entry = packaged.joinpath(f"{name}.md")
        if entry.is_file():
            return entry.read_text(encoding="utf-8").strip()
    raise FileNotFoundError(f"no prompt for {kind!r} and no {DEFAULT}.md")  # the package ships _default.md


def user_message(request: NarrativeRequest) -> str:
    """The facts, one per line, in the order the agent wants them told, and the length limit."""
    lines = [f"- {name.replace('_', ' ')}: {value}" for name, value in request.facts.items()]
    return "Facts (use only these):\n" + "\n".join(lines) + f"\n\nWrite at most {request.max_words} words."
