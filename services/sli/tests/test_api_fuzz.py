"""SLI's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding a reconciled client: subscriptions,
tenant seats (one idle), an under-billing agreement and a clock tick, so every route has rows."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from msp_events.testing.fuzz import fuzz_service

from sli import api
from sli.app import create_app, create_service
from sli.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from sli_facts import T0, agreement, seat, subscription, tick


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'sli.db'}")
    later = T0 + timedelta(days=250)
    seed = [
        subscription(quantity=6),
        agreement(seats="4"),
        *[seat(n, T0, T0 - timedelta(days=100 if n == "dee" else 0)) for n in ("ann", "bob", "cy", "dee")],
        tick(T0 + timedelta(hours=1)),
        agreement(
            later, seats="6"
        ),  # realised: the under-billing closes; the renewal (2027-06-30) is 52 days away
        tick(later + timedelta(hours=1)),
    ]
    failures = fuzz_service(
        create_service, create_app, settings, seed, api=[api.router], known={"client_id": "C-1"}
    )
    assert not failures, "\n\n".join(failures)
