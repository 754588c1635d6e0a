"""A text writer on Amazon Bedrock (Converse API), behind the ``TextWriter`` protocol.

It words the facts an agent decided; it never decides them. So every answer is checked before
it is used, and anything doubtful falls back to the deterministic writer the service already
has (``TemplateWriter``), with the reason on the narrative:

* a call that fails with a transient error (throttling, a busy or cold model, a timeout, no
  connection) is retried up to ``BEDROCK_MAX_ATTEMPTS`` with doubling backoff; botocore's own
  retries are off so attempts are counted once, here;
* a call that fails for good (no access to the model, a bad model id, a validation error) falls
  back at once: retrying cannot help and the proposal must still go out;
* an answer cut at the token limit, an empty answer, or one containing a figure that is not in
  the facts (a price, a percentage, a date the model made up) falls back. An owner would rather
  send plain prose than a wrong number.

Prompts are files (``msp_events/narrative/prompts``), the facts go in the user turn, and the
limits (tokens, temperature, timeout) come from ``NarrativeSettings``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from msp_events.narrative import Narrative, NarrativeRequest, TextWriter, limit_words
from msp_events.narrative.prompts import system_prompt, user_message
from msp_events.narrative.settings import NarrativeSettings

log = logging.getLogger(__name__)

TRANSIENT = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelNotReadyException",
    }
)
"""Converse error codes worth another attempt; every other code falls back at once."""

_FIGURE = re.compile(r"\d(?:[\d,.]*\d)?")


def figures(text: str) -> set[str]:
    """Every number written in ``text``, without thousands separators (``2,400.00`` → ``2400.00``)."""
    return {match.replace(",", "") for match in _FIGURE.findall(text)}


def invented_figures(answer: str, request: NarrativeRequest) -> set[str]:
    """Figures in the answer that none of the facts contains: what the model made up.

    The length limit the prompt states is a figure the model may echo, so it is allowed.
    """
    allowed = figures(" ".join(request.facts.values())) | {str(request.max_words)}
    return figures(answer) - allowed


class BedrockWriter:
    """Words narratives with one Bedrock model; falls back to ``fallback`` when it cannot."""

    def __init__(
        self,
        client: Any,
        settings: NarrativeSettings,
        fallback: TextWriter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.bedrock_model_id:
            raise ValueError("BedrockWriter needs BEDROCK_MODEL_ID")
        self._client = client
        self._settings = settings
        self._model_id = settings.bedrock_model_id
        self._fallback = fallback
        self._sleep = sleep
        self.name = f"bedrock:{self._model_id}"

    def write(self, request: NarrativeRequest) -> Narrative:
        try:
            answer = self._converse(request)
        except _GiveUp as failure:
            return self._fall_back(request, str(failure))
        if not answer.strip():
            return self._fall_back(request, "the model returned no text")
        if made_up := invented_figures(answer, request):
            return self._fall_back(
                request, f"the model wrote figures that are not in the facts: {sorted(made_up)}"
            )
        text = limit_words(answer.strip(), request.max_words)
        return Narrative(text=text, writer=self.name)

    def _converse(self, request: NarrativeRequest) -> str:
        settings = self._settings
        call = {
            "modelId": self._model_id,
            "system": [{"text": system_prompt(request.kind, settings.prompts_dir)}],
            "messages": [{"role": "user", "content": [{"text": user_message(request)}]}],
            "inferenceConfig": {"maxTokens": settings.max_tokens, "temperature": settings.temperature},
        }
        delay = settings.backoff_s
        for attempt in range(1, settings.max_attempts + 1):
            try:
                response = self._client.converse(**call)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "ClientError")
                if code not in TRANSIENT:
                    raise _GiveUp(f"Bedrock refused the call ({code}); not retried") from error
                reason = code
            except (ReadTimeoutError, ConnectionError) as error:
                reason = type(error).__name__
            except BotoCoreError as error:
                raise _GiveUp(f"Bedrock call failed ({type(error).__name__}): {error}") from error
            else:
                return _answer_text(response)
            if attempt < settings.max_attempts:
                log.info(
                    "bedrock: attempt %d of %d failed (%s); retrying", attempt, settings.max_attempts, reason
                )
                self._sleep(delay)
                delay *= 2
        raise _GiveUp(f"Bedrock still failing after {settings.max_attempts} attempts ({reason})")

    def _fall_back(self, request: NarrativeRequest, reason: str) -> Narrative:
        log.warning("bedrock: %s; the %s narrative uses the default writer", reason, request.kind)
        narrative = self._fallback.write(request)
        return narrative.model_copy(update={"fell_back": True, "reason": reason})


class _GiveUp(Exception):
    """No usable answer from the model: the caller falls back."""


def _answer_text(response: dict[str, Any]) -> str:
    if response.get("stopReason") == "max_tokens":
        raise _GiveUp("the answer was cut at BEDROCK_MAX_TOKENS")
    content = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(block.get("text", "") for block in content)


def bedrock_client(settings: NarrativeSettings) -> Any:
    """A ``bedrock-runtime`` client whose timeouts are the settings' and whose retries are ours."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=settings.timeout_s,
        read_timeout=settings.timeout_s,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return boto3.client("bedrock-runtime", region_name=settings.bedrock_region, config=config)
