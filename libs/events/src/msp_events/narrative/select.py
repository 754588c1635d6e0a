"""Choosing the writer from settings: the one place a service asks for its ``TextWriter``."""

from __future__ import annotations

from msp_events.narrative import TextWriter
from msp_events.narrative.settings import NarrativeSettings


def text_writer(settings: NarrativeSettings, default: TextWriter) -> TextWriter:
    """``default`` (the service's deterministic writer) unless Bedrock is configured, in which
    case Bedrock words the narratives and ``default`` is its fallback."""
    if settings.writer == "template":
        return default
    from msp_events.aws.bedrock import BedrockWriter, bedrock_client

    return BedrockWriter(bedrock_client(settings), settings, fallback=default)
