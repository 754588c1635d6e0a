"""Fuzz a service's REST API from its own OpenAPI document (schemathesis), in process.

Every service's API must never answer 5xx and must answer what its OpenAPI says (status code,
content type, body schema), whatever a client sends. Hand-written tests check the requests we
thought of; this generates the others from the document itself: valid requests (positive) and
requests the schema forbids (negative: NUL bytes, out-of-range numbers, bad months ...).

The run is short and repeatable, so it belongs in the normal test run: Hypothesis is derandomized
(the same cases every run, no example database), each operation gets ``max_examples`` cases per
mode, and the app runs on the in-process ASGI transport against whatever database the caller set
up. ``known`` maps path parameter names to ids the caller seeded, so the operations that look an
entity up are also fuzzed past their 404 (their query parameters are still generated).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import schemathesis
from fastapi import APIRouter, FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from msp_events.envelope import Envelope
from msp_events.runtime.settings import ServiceSettings
from msp_events.testing import auth as test_auth
from msp_events.testing.service import RunningService, ServiceFactory, running_service

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
"""No 5xx, and only documented status codes, content types and bodies."""


def fuzz_service(
    create_service: ServiceFactory,
    create_app: Callable[[Any], FastAPI],
    settings: ServiceSettings,
    seed: Sequence[Envelope[Any]],
    *,
    api: Sequence[APIRouter] = (),
    known: Mapping[str, str] | None = None,
    max_examples: int = 30,
) -> list[str]:
    """Deliver ``seed`` to the service (in-process transport, ``settings``' database), then fuzz the
    app ``create_app(settings)`` serves over that database: ``fuzz_api``'s failures."""

    async def deliver() -> None:
        async with running_service(RunningService, create_service, settings, api) as running:
            await running.deliver(*seed)
            running.service.engine.dispose()

    asyncio.run(deliver())
    app = create_app(settings.model_copy(update={"auth": test_auth.settings()}))  # trusts the test issuer
    return fuzz_api(app, known=known, max_examples=max_examples)


def fuzz_api(
    app: FastAPI,
    *,
    max_examples: int = 30,
    known: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Run every operation of ``app``'s OpenAPI; return one line per failing operation (empty when
    all passed), so one test reports every problem at once. Every call carries ``headers``
    (default: an owner's token from the test issuer, so the fuzzing gets past authentication).

    Each operation gets schemathesis' three phases, as its own pytest integration runs them: the
    documented examples, the *coverage* phase (boundary and just-out-of-bounds values of every
    parameter, deterministic; it finds the unbounded page offset that random data almost never
    does) and ``max_examples`` random cases, in both positive and negative modes."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    sent = dict(headers) if headers is not None else test_auth.bearer(["owner"])
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here: good
        params = {p.name for p in operation.path_parameters}
        fixed: list[dict[str, str]] = [{}]
        if known and params and params <= set(known):
            fixed.append({name: known[name] for name in params})
        for path_parameters in fixed:
            label = f"{operation.label}{' [known ids]' if path_parameters else ''}"
            config = HypothesisTestConfig(
                project=schema.config,
                modes=list(HypothesisTestMode),
                settings=_settings(max_examples),
                override=Override(path_parameters=path_parameters),
            )
            try:
                create_test(operation=operation, test_func=_call_and_validate, config=config)(headers=sent)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a Base one
                failures.append(f"{label}: {type(exc).__name__}: {_describe(exc)}")
    return failures


def _call_and_validate(case: schemathesis.Case[Any], headers: dict[str, str]) -> None:
    case.call_and_validate(headers=headers, checks=CHECKS)


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


def _describe(exc: BaseException) -> str:
    """The failure's own message, with each sub-failure of a group (what is wrong, how to reproduce)."""
    parts = [str(exc)]
    if isinstance(exc, BaseExceptionGroup):
        parts.extend(str(sub) for sub in exc.exceptions)
    return "\n".join(parts)
