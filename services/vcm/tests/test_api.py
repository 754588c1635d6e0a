"""VCM's REST API: upload, register, review and correction trail, approval, renewals, search."""

from __future__ import annotations

import base64
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from msp_events.testing.service import RunningService, running_service

from vcm import api
from vcm.app import create_service
from vcm.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from vcm_facts import MSA, T0, tick


class Running(RunningService):
    pass


@pytest.fixture
async def vcm(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(
        MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'vcm.db'}", MAX_UPLOAD_BYTES=50_000
    )
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


def upload(text: str = MSA, **changes: Any) -> dict[str, Any]:
    return {"file_name": "acme.txt", "media_type": "text/plain", "text": text, **changes}


async def test_upload_get_and_evidence(vcm: Running) -> None:
    await vcm.deliver(tick(T0))  # today, for the deadline, is the service clock's
    async with vcm.http() as http:
        made = await http.post("/contracts", json=upload(department="IT", owner="jane"))
        assert made.status_code == 201, made.text
        contract = made.json()
        got = (await http.get(f"/contracts/{contract['contract_id']}")).json()
        again = await http.post("/contracts", json=upload())
    assert got == contract
    assert (got["status"], got["department"], got["approvers"]) == ("pending_approval", "IT", ["owner"])
    notice = got["terms"]["notice_period"]
    assert notice["value"] == {"value": 90, "unit": "days"}
    assert MSA[notice["evidence"]["start"] : notice["evidence"]["end"]] == notice["evidence"]["text"]
    assert got["deadline"] == {"term_end": "2027-02-28", "notice_deadline": "2026-11-30", "days_left": 329}
    assert again.status_code == 409 and contract["contract_id"] in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (upload(text="x" * 60_000), 413),
        (
            {
                "file_name": "a.pdf",
                "media_type": "application/pdf",
                "content_base64": base64.b64encode(b"hi").decode(),
            },
            415,
        ),
        ({"file_name": "a.pdf", "media_type": "application/pdf", "content_base64": "***"}, 422),
        ({"file_name": "a.txt", "media_type": "text/plain"}, 422),
        ({"file_name": "a.xlsx", "media_type": "application/vnd.ms-excel", "text": "x"}, 422),
    ],
)
async def test_uploads_are_limited_in_size_and_type(vcm: Running, body: dict[str, Any], status: int) -> None:
    async with vcm.http() as http:
        answer = await http.post("/contracts", json=body)
    assert answer.status_code == status and answer.json()["detail"]


async def test_review_correction_trail_approval_and_export(vcm: Running) -> None:
    vague = MSA.replace(
        "at least ninety (90) days prior to the end of the\nthen-current term", "in good time"
    )
    async with vcm.http() as http:
        cid = (await http.post("/contracts", json=upload(vague))).json()["contract_id"]
        patched = await http.patch(
            f"/contracts/{cid}",
            json={
                "set": {"notice_period": {"value": 60, "unit": "days"}},
                "confirm": ["parties"],
                "comment": "p.2",
            },
        )
        assert patched.status_code == 200, patched.text
        trail = (await http.get(f"/contracts/{cid}/corrections")).json()
        case = (await http.get(f"/contracts/{cid}/test-case")).json()
        first = await http.post(f"/contracts/{cid}/approve", json={"comment": "ok"})
        twice = await http.post(f"/contracts/{cid}/approve", json={})
        late_reject = await http.post(f"/contracts/{cid}/reject", json={})
        finance = await http.post(f"/contracts/{cid}/approve", json={}, headers={})
        approvals = (await http.get(f"/contracts/{cid}/approvals")).json()
    assert patched.json()["terms"]["notice_period"]["value"] == {"value": 60, "unit": "days"}
    assert patched.json()["terms"]["notice_period"]["evidence"] is None
    assert [(t["field_name"], t["new"], t["confirmed"]) for t in trail] == [
        ("parties", ["Acme Backup, Inc.", "Northwind Managed Services LLC"], True),
        ("notice_period", {"value": 60, "unit": "days"}, False),
    ]
    assert case["truth"]["notice_period"] == {"value": 60, "unit": "days"} and "ninety" not in case["text"]
    assert first.status_code == 200 and first.json()["status"] in ("pending_start", "active")
    assert twice.status_code == 409 and late_reject.status_code == 409 and finance.status_code == 409
    assert [a["action"] for a in approvals] == ["approve"]


async def test_a_notice_period_corrected_to_business_days(vcm: Running) -> None:
    """The MSA's term ends Sunday 28 Feb 2027: 30 business days before is Monday 18 Jan 2027."""
    async with vcm.http() as http:
        cid = (await http.post("/contracts", json=upload())).json()["contract_id"]
        business = {"value": 30, "unit": "days", "business": True}
        patched = await http.patch(f"/contracts/{cid}", json={"set": {"notice_period": business}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["terms"]["notice_period"]["value"] == business
    assert patched.json()["deadline"]["notice_deadline"] == "2027-01-18"


async def test_a_value_above_the_threshold_needs_an_owner(vcm: Running) -> None:
    async with vcm.http(token=None) as anonymous:
        assert (await anonymous.get("/contracts")).status_code == 401
    async with vcm.http() as http:
        cid = (await http.post("/contracts", json=upload())).json()["contract_id"]
    from msp_events.testing.auth import token

    async with vcm.http(token=token(("finance",))) as finance:
        answer = await finance.post(f"/contracts/{cid}/approve", json={})
    assert answer.status_code == 403 and "owner" in answer.json()["detail"]


async def test_draft_cannot_be_approved_until_reviewed(vcm: Running) -> None:
    async with vcm.http() as http:
        cid = await http.post(
            "/contracts", json=upload("Notice period to terminate renewal: from 30 to 90 days.")
        )
        body = cid.json()
        answer = await http.post(f"/contracts/{body['contract_id']}/approve", json={})
    assert (
        body["status"] == "draft" and answer.status_code == 409 and "notice_period" in answer.json()["detail"]
    )


async def test_expiring_renewals_search_and_scorecard(vcm: Running) -> None:
    other = (
        MSA.replace("Acme Backup, Inc.", "Beta Telecom LLC")
        .replace("March 1, 2026", "March 1, 2025")
        .replace("twelve (12) months", "twenty-one (21) months")
    )  # ends 2026-11-30, its notice deadline for that term passed on 2026-09-01
    async with vcm.http() as http:
        acme = (await http.post("/contracts", json=upload(vendor_name="Acme Backup"))).json()["contract_id"]
        beta = (
            await http.post("/contracts", json=upload(other, file_name="beta.txt", vendor_name="Beta"))
        ).json()
    await vcm.deliver(tick(T0 + timedelta(days=300)))  # 2026-11-01
    async with vcm.http() as http:
        expiring = (await http.get("/contracts", params={"expiring_within": 60})).json()
        renewals = (await http.get("/renewals")).json()
        found = (await http.get("/contracts/search", params={"q": "Beta Telecom"})).json()
        nothing = (await http.get("/contracts/search", params={"q": "zebra"})).json()
        card = (await http.get("/vendors/Acme Backup/scorecard")).json()
        missing = await http.get("/vendors/Nobody/scorecard")
    assert [c["contract_id"] for c in expiring] == [beta["contract_id"]]
    assert [r["contract_id"] for r in renewals] == [acme]
    assert renewals[0]["notice_deadline"] == "2026-11-30" and renewals[0]["case_status"] == "open"
    assert [c["contract_id"] for c in found] == [beta["contract_id"]] and nothing == []
    assert card["contracts"] == 1 and card["annual_value"] == [
        {"currency": "USD", "annual_value": "36000.00"}
    ]
    assert card["max_price_increase_pct"] == "5.0000" and card["renewal_cases"] == 1
    assert missing.status_code == 404
