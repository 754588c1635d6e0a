"""The edge every service's REST API shares: control characters and implausible months are a 422
that says what is wrong, never a 500; /metrics is documented as what it is (text/plain)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, TypeAdapter, ValidationError

from msp_events.runtime.api import EntityId, Month, check_month
from msp_events.runtime.http import build_http_app, build_metrics_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.testing import auth as test_auth

router = APIRouter()


@router.get("/things/{thing_id}")
def thing(
    thing_id: Annotated[EntityId, PathParam()],
    month: Annotated[Month | None, Query()] = None,
    q: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    return {"thing_id": thing_id, "month": month, "q": q}


class Note(BaseModel):
    text: str


@router.post("/things/{thing_id}/notes")
def add_note(thing_id: Annotated[EntityId, PathParam()], note: Note) -> dict[str, Any]:
    return {"thing_id": thing_id, "text": note.text}


@pytest.fixture
async def client(tmp_path: Path) -> Any:
    settings = ServiceSettings(service_name="cpi", DATABASE_URL=f"sqlite:///{tmp_path}/cpi.db")
    bus = InProcessBus()
    service = Service(settings=settings, router=HandlerRouter(), transport=bus, migrations=tmp_path)
    app = build_http_app(service, [router], auth=test_auth.settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://cpi", headers=test_auth.bearer(["owner"])
    ) as http:
        yield http
    service.engine.dispose()


@pytest.mark.parametrize(
    ("url", "loc", "what"),
    [
        ("/things/%00", ["path"], "the path"),
        ("/things/a%1Fb", ["path"], "the path"),
        ("/things/a?q=x%00y", ["query", "q"], "query parameter 'q'"),
        ("/things/a?month=2026-01&q=%7F", ["query", "q"], "query parameter 'q'"),
        ("/nowhere/%00", ["path"], "the path"),  # before routing: even a 404 would be too late
    ],
)
async def test_a_control_character_is_a_422_naming_where_it_is(
    client: httpx.AsyncClient, url: str, loc: list[str], what: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == loc
    assert error["msg"].startswith(f"{what} contains a control character (such as NUL): remove it")


async def test_printable_text_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/C-1 é", params={"q": "tab-free ünïcode", "month": "2026-03"})
    assert response.status_code == 200
    assert response.json() == {"thing_id": "C-1 é", "month": "2026-03", "q": "tab-free ünïcode"}


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("0001-01", "0001-01 is out of range: months run from 1900-01 to 2999-12"),
        ("9999-12", "9999-12 is out of range: months run from 1900-01 to 2999-12"),
        ("0000-01", "0000-01 is out of range"),
        ("2026-13", "'2026-13' is not a month: use YYYY-MM, e.g. 2026-03"),
        ("2026-1", "'2026-1' is not a month"),
        ("\uff12\uff10\uff12\uff16-01", "is not a month"),  # fullwidth digits: \d takes them, months do not
    ],
)
async def test_a_month_out_of_range_or_shape_is_a_422_saying_so(
    client: httpx.AsyncClient, month: str, message: str
) -> None:
    response = await client.get("/things/a", params={"month": month})
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "month"]
    assert message in error["msg"]


def test_month_bounds_are_inclusive() -> None:
    assert check_month("1900-01") == "1900-01"
    assert check_month("2999-12") == "2999-12"
    with pytest.raises(ValueError, match="out of range"):
        check_month("1899-12")
    with pytest.raises(ValidationError):
        TypeAdapter(EntityId).validate_python("x" * 129)


async def test_the_openapi_says_what_the_edge_accepts(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/things/{thing_id}"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["thing_id"]["pattern"] == r"^[^\x00-\x1f\x7f]+$"
    month = next(s for s in parameters["month"]["anyOf"] if s.get("type") == "string")
    assert month["pattern"] == r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"


async def test_metrics_on_their_own_port_are_documented_as_text(tmp_path: Path) -> None:
    settings = ServiceSettings(service_name="cpi", DATABASE_URL=f"sqlite:///{tmp_path}/cpi.db")
    service = Service(
        settings=settings, router=HandlerRouter(), transport=InProcessBus(), migrations=tmp_path
    )
    metrics_app = build_metrics_app(service)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=metrics_app), base_url="http://m"
    ) as metrics:
        document = (await metrics.get("/openapi.json")).json()
        response = await metrics.get("/metrics")
    content = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/plain"]
    assert response.headers["content-type"].startswith("text/plain")
    service.engine.dispose()


async def test_a_body_that_is_not_json_is_a_documented_400_on_every_route_with_a_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/things/a/notes", content=b"\xc3\x28", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    document = (await client.get("/openapi.json")).json()
    assert "400" in document["paths"]["/things/{thing_id}/notes"]["post"]["responses"]
    assert "400" not in document["paths"]["/things/{thing_id}"]["get"]["responses"]  # no body, no 400
    ok = await client.post("/things/a/notes", json={"text": "hi"})
    assert ok.json() == {"thing_id": "a", "text": "hi"}
