"""CPI's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx, only documented answers,
over a database with a client, an agreement and a month of facts (their ids are fuzzed past 404).
Also the requests that used to answer 500 (issue 9): months beyond the calendar, a NUL in an id."""

from __future__ import annotations

import sys
from pathlib import Path

from msp_events.testing.fuzz import fuzz_service

from cpi import api
from cpi.app import create_app, create_service
from cpi.churn import api as churn_api
from cpi.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from test_ledger_service import january, start


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'cpi.db'}")
    failures = fuzz_service(
        create_service,
        create_app,
        settings,
        january(),
        api=[api.router, churn_api.router],
        known={"client_id": "C-1", "agreement_id": "A-1"},
    )
    assert not failures, "\n\n".join(failures)


REFUSED = [
    ("?from=0001-01&to=9999-12", {"from": "0001-01 is out of range", "to": "9999-12 is out of range"}),
    ("?to=9999-12", {"to": "9999-12 is out of range: months run from 1900-01 to 2999-12"}),
    ("?to=0000-01", {"to": "0000-01 is out of range: months run from 1900-01 to 2999-12"}),
    ("?from=2026-13", {"from": "'2026-13' is not a month: use YYYY-MM, e.g. 2026-03"}),
]


async def test_a_month_beyond_the_calendar_or_a_nul_in_an_id_is_a_422_saying_so(tmp_path: Path) -> None:
    async for cpi in start(tmp_path / "cpi.db"):
        await cpi.deliver(*january())
        async with cpi.http() as http:
            for path in ("/clients/C-1/profitability", "/agreements/A-1/profitability"):
                for query, problems in REFUSED:
                    response = await http.get(path + query)
                    assert response.status_code == 422, response.text
                    said = {e["loc"][1]: e["msg"] for e in response.json()["detail"]}
                    assert set(said) == set(problems)
                    for where, problem in problems.items():
                        assert problem in said[where]
            for url in ("/clients/%00/profitability", "/agreements/A%00/profitability", "/clients?month=%00"):
                response = await http.get(url)
                assert response.status_code == 422, response.text
                [error] = response.json()["detail"]
                assert "contains a control character (such as NUL): remove it" in error["msg"]
