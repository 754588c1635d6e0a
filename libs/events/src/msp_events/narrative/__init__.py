"""The text-writer interface behind every narrative the agents write for people.

Proposals (SPO), renewal packs (VCM) and executive summaries are numbers first and prose
second. The numbers are decided by each agent's domain; the prose is written by a
``TextWriter``. The default writer is deterministic and offline (a template per kind of
narrative), so replays, replicas and tests read alike. A language-model writer (Bedrock, in
``msp_events.aws.bedrock``) plugs in behind the same protocol and falls back to the default
writer when it fails, times out or is switched off. Narratives are rendered for people at
the edge (API, reports), never put into events: an event must not depend on a model's mood.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Narrative", "NarrativeRequest", "TemplateWriter", "TextWriter", "limit_words"]


class NarrativeRequest(BaseModel):
    """What a narrative may say: its kind and the facts behind it, in the order to tell them.

    ``facts`` are already formatted for people (money with its currency, percentages rounded):
    a writer words them, it never computes or invents figures.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    facts: dict[str, str] = Field(default_factory=dict)
    max_words: int = Field(default=250, ge=10, le=2000)

    @field_validator("facts")
    @classmethod
    def _keys_are_names(cls, facts: dict[str, str]) -> dict[str, str]:
        for key in facts:
            if not key.isidentifier():
                raise ValueError(f"fact name {key!r} must be an identifier (letters, digits, _)")
        return facts


class Narrative(BaseModel):
    """The words, and who wrote them (so a reader knows whether a model was involved)."""

    model_config = ConfigDict(frozen=True)

    text: str
    writer: str
    fell_back: bool = False
    reason: str | None = None


@runtime_checkable
class TextWriter(Protocol):
    """Writes the narrative for one request. Must not raise for a well-formed request."""

    def write(self, request: NarrativeRequest) -> Narrative: ...


class TemplateWriter:
    """The deterministic default: ``string.Template`` text per kind, ``$fact`` placeholders.

    A kind without a template is told as one sentence per fact, in the request's order, so a
    new kind of narrative works before anyone writes its template. A placeholder whose fact is
    missing stays visible (``$name``) rather than failing: a proposal with a gap is better read
    than lost, and the gap is easy to spot.
    """

    name = "template"

    def __init__(self, templates: Mapping[str, str] | None = None) -> None:
        self._templates = {kind: Template(text) for kind, text in (templates or {}).items()}

    def write(self, request: NarrativeRequest) -> Narrative:
        template = self._templates.get(request.kind)
        if template is None:
            text = " ".join(
                f"{key.replace('_', ' ').capitalize()}: {value.rstrip('.')}."
                for key, value in request.facts.items()
            )
        else:
            text = template.safe_substitute(request.facts)
        return Narrative(text=limit_words(text.strip(), request.max_words), writer=self.name)


def limit_words(text: str, max_words: int) -> str:
    """At most ``max_words`` words; a cut is marked with an ellipsis so nobody mistakes it for the end."""
    words = text.split(" ")
    if len(words) <= max_words:
        return text
    return " ".join(words[:max_words]).rstrip(",;:") + " …"
