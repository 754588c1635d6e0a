"""The Bedrock text writer against botocore's Stubber: retries, fallbacks and the figures check.

No AWS account is involved: the Stubber answers ``converse`` with the responses queued here and
checks the request the writer built (model, prompt file, facts, limits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from pydantic import ValidationError

from msp_events.aws.bedrock import BedrockWriter, invented_figures
from msp_events.narrative import NarrativeRequest, TemplateWriter
from msp_events.narrative.prompts import system_prompt, user_message
from msp_events.narrative.select import text_writer
from msp_events.narrative.settings import NarrativeSettings

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
FALLBACK = TemplateWriter({"proposal": "$client moves to $plan for $price a month."})
REQUEST = NarrativeRequest(
    kind="proposal",
    facts={"client": "Acme Dental", "plan": "Managed Pro", "price": "USD 2,400.00", "seats": "18"},
    max_words=60,
)
TEMPLATE_TEXT = "Acme Dental moves to Managed Pro for USD 2,400.00 a month."


@pytest.fixture(autouse=True)
def _offline_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def settings(**overrides: Any) -> NarrativeSettings:
    values: dict[str, Any] = {
        "NARRATIVE_WRITER": "bedrock",
        "BEDROCK_MODEL_ID": MODEL,
        "BEDROCK_MAX_TOKENS": 400,
        "BEDROCK_BACKOFF_S": 0.5,
    }
    values.update(overrides)
    return NarrativeSettings(**values)


def converse_reply(text: str, stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 120, "outputTokens": 40, "totalTokens": 160},
        "metrics": {"latencyMs": 800},
    }


def writer_with(stub_setup: Any, **overrides: Any) -> tuple[BedrockWriter, list[float], Stubber]:
    client = boto3.client("bedrock-runtime", region_name="eu-west-1")
    stubber = Stubber(client)
    stub_setup(stubber)
    stubber.activate()
    sleeps: list[float] = []
    writer = BedrockWriter(client, settings(**overrides), fallback=FALLBACK, sleep=sleeps.append)
    return writer, sleeps, stubber


def test_answer_is_used_and_the_request_carries_prompt_facts_and_limits() -> None:
    answer = "You get Managed Pro for your 18 seats at USD 2,400.00 a month, so your team stops firefighting."
    expected = {
        "modelId": MODEL,
        "system": [{"text": system_prompt("proposal")}],
        "messages": [{"role": "user", "content": [{"text": user_message(REQUEST)}]}],
        "inferenceConfig": {"maxTokens": 400, "temperature": 0.2},
    }
    writer, sleeps, stubber = writer_with(
        lambda s: s.add_response("converse", converse_reply(answer), expected)
    )
    narrative = writer.write(REQUEST)
    assert narrative.text == answer
    assert narrative.writer == f"bedrock:{MODEL}"
    assert not narrative.fell_back and narrative.reason is None
    assert sleeps == []
    stubber.assert_no_pending_responses()
    assert "proposal" in system_prompt("proposal") and "- price: USD 2,400.00" in user_message(REQUEST)


def test_throttling_is_retried_with_doubling_backoff_then_succeeds() -> None:
    def setup(s: Stubber) -> None:
        s.add_client_error("converse", "ThrottlingException", "slow down", 429)
        s.add_client_error("converse", "ModelNotReadyException", "warming up", 429)
        s.add_response("converse", converse_reply("You get Managed Pro."))

    writer, sleeps, stubber = writer_with(setup)
    assert writer.write(REQUEST).text == "You get Managed Pro."
    assert sleeps == [0.5, 1.0]
    stubber.assert_no_pending_responses()


def test_transient_failures_past_the_attempt_limit_fall_back_to_the_template() -> None:
    def setup(s: Stubber) -> None:
        for _ in range(3):
            s.add_client_error("converse", "ServiceUnavailableException", "busy", 503)

    writer, sleeps, stubber = writer_with(setup)
    narrative = writer.write(REQUEST)
    assert narrative.text == TEMPLATE_TEXT
    assert narrative.writer == "template" and narrative.fell_back
    assert narrative.reason == "Bedrock still failing after 3 attempts (ServiceUnavailableException)"
    assert sleeps == [0.5, 1.0]
    stubber.assert_no_pending_responses()


def test_a_refusal_falls_back_at_once_without_retrying() -> None:
    writer, sleeps, stubber = writer_with(
        lambda s: s.add_client_error("converse", "AccessDeniedException", "no model access", 403)
    )
    narrative = writer.write(REQUEST)
    assert narrative.fell_back and narrative.text == TEMPLATE_TEXT
    assert narrative.reason == "Bedrock refused the call (AccessDeniedException); not retried"
    assert sleeps == []
    stubber.assert_no_pending_responses()


def test_an_answer_cut_at_the_token_limit_falls_back() -> None:
    writer, _, _ = writer_with(
        lambda s: s.add_response("converse", converse_reply("You get", stop="max_tokens"))
    )
    narrative = writer.write(REQUEST)
    assert narrative.fell_back and narrative.reason == "the answer was cut at BEDROCK_MAX_TOKENS"


def test_an_empty_answer_falls_back() -> None:
    writer, _, _ = writer_with(lambda s: s.add_response("converse", converse_reply("  ")))
    assert writer.write(REQUEST).reason == "the model returned no text"


def test_a_made_up_figure_falls_back_and_is_named() -> None:
    made_up = "You get Managed Pro for USD 2,400.00 a month, 15% less than last year, from 1 March."
    writer, _, _ = writer_with(lambda s: s.add_response("converse", converse_reply(made_up)))
    narrative = writer.write(REQUEST)
    assert narrative.fell_back and narrative.text == TEMPLATE_TEXT
    assert narrative.reason == "the model wrote figures that are not in the facts: ['1', '15']"


def test_figures_check_accepts_the_facts_written_with_or_without_separators() -> None:
    assert invented_figures("USD 2400.00 for 18 seats, at most 60 words", REQUEST) == set()
    assert invented_figures("USD 2,400.00 for 19 seats", REQUEST) == {"19"}


def test_a_long_answer_is_cut_to_the_word_limit() -> None:
    long = " ".join(["value"] * 80)
    writer, _, _ = writer_with(lambda s: s.add_response("converse", converse_reply(long)))
    narrative = writer.write(REQUEST)
    assert not narrative.fell_back
    assert narrative.text == " ".join(["value"] * 60) + " …"


class _TimingOutClient:
    """A bedrock-runtime client whose connection times out ``failures`` times (the Stubber can
    only queue service errors, not a read timeout)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def converse(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.eu-west-1.amazonaws.com")
        return converse_reply("You get Managed Pro.")


def test_timeouts_are_retried_and_then_fall_back() -> None:
    sleeps: list[float] = []
    recovering = _TimingOutClient(failures=1)
    assert (
        BedrockWriter(recovering, settings(), FALLBACK, sleeps.append).write(REQUEST).text
        == "You get Managed Pro."
    )
    dead = _TimingOutClient(failures=10)
    narrative = BedrockWriter(dead, settings(BEDROCK_MAX_ATTEMPTS=2), FALLBACK, sleeps.append).write(REQUEST)
    assert dead.calls == 2 and narrative.fell_back
    assert narrative.reason == "Bedrock still failing after 2 attempts (ReadTimeoutError)"


def test_prompt_files_can_be_replaced_per_kind(tmp_path: Path) -> None:
    (tmp_path / "proposal.md").write_text("House style: short.\n", encoding="utf-8")
    assert system_prompt("proposal", tmp_path) == "House style: short."
    assert system_prompt("renewal_pack", tmp_path) == system_prompt("renewal_pack")
    assert "MSP" in system_prompt("a_kind_without_a_prompt")


def test_settings_select_the_writer_and_refuse_bedrock_without_a_model() -> None:
    assert text_writer(NarrativeSettings(), FALLBACK) is FALLBACK
    chosen = text_writer(settings(BEDROCK_REGION="eu-west-1"), FALLBACK)
    assert isinstance(chosen, BedrockWriter) and chosen.name == f"bedrock:{MODEL}"
    with pytest.raises(ValidationError, match="BEDROCK_MODEL_ID"):
        NarrativeSettings(NARRATIVE_WRITER="bedrock")
