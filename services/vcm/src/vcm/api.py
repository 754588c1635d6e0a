"""VCM's REST API: the contract register, its review and approval workflow, renewals and search.

Reads and corrections are plain transactions on VCM's database; an upload is handled as the
command it is: the document goes through the same use case as one from the mailbox, in one
transaction with its inbox row and the ``contract.terms.extracted`` it publishes (outbox).
"Today" is the service clock (the latest ``clock.ticked``), never the wall clock; audit-trail
timestamps are the request's arrival, read here at the edge.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from msp_events import Envelope
from msp_events.runtime.api import EntityId, Limit, Offset
from msp_events.runtime.consensus import decisions
from msp_events.runtime.delivery import append_outbox, claim_inbox
from msp_events.runtime.store import service_clock
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.contracts import ContractDocumentReceived, MediaType

from vcm import services, vendor_signals
from vcm import terms as columns
from vcm.accuracy import SCORED
from vcm.client_agreements import backed_agreement
from vcm.domain.consensus import renewal_decision_id
from vcm.domain.deadlines import Deadline, current_deadline, term_end_on
from vcm.domain.documents import ReceivedDocument
from vcm.domain.extraction import CATEGORIES
from vcm.domain.register import (
    IllegalTransition,
    approve,
    reject,
    roles_for,
    state_after_correction,
    status,
    terminate,
)
from vcm.reading import sniff
from vcm.store.contracts import ContractRepository
from vcm.store.repository import DocumentRepository
from vcm.store.tables import ContractApproval, ContractRow

router = APIRouter(tags=["documents", "contracts"])
BAD_REQUEST = "a parameter or the body is malformed or out of range: the detail says which and why"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no contract with that id"},
    422: {"description": BAD_REQUEST},
}
FieldName = Literal[
    "parties",
    "agreement_date",
    "effective_date",
    "expiration_date",
    "initial_term",
    "renewal_term",
    "auto_renew",
    "notice_period",
    "termination_for_convenience",
    "governing_law",
    "contract_value",
    "payment_terms",
    "price_restrictions",
]
Name = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]


# --------------------------------------------------------------------------- documents (as before)


class DocumentOut(BaseModel):
    sha256: str
    size_bytes: int
    document_id: str
    contract_id: str | None
    document_kind: str | None
    vendor_name: str | None
    client_id: str | None
    file_name: str
    media_type: str
    received_at: datetime
    uploaded_by: str | None

    @classmethod
    def of(cls, d: ReceivedDocument) -> DocumentOut:
        return cls(
            sha256=d.sha256,
            size_bytes=d.size_bytes,
            document_id=d.document_id,
            contract_id=d.contract_id,
            document_kind=d.document_kind,
            vendor_name=d.vendor_name,
            client_id=d.client_id,
            file_name=d.file_name,
            media_type=d.media_type,
            received_at=d.received_at,
            uploaded_by=d.uploaded_by,
        )


@router.get(
    "/documents",
    response_model=list[DocumentOut],
    summary="Contract documents received, one per distinct content, oldest first",
)
def list_documents(
    request: Request,
    client_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    vendor_name: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DocumentOut]:
    with Session(request.app.state.service.engine) as session:
        documents = DocumentRepository(session).list(
            client_id=client_id, vendor_name=vendor_name, limit=limit, offset=offset
        )
    return [DocumentOut.of(d) for d in documents]


# --------------------------------------------------------------------------- contracts


class EvidenceOut(BaseModel):
    text: str
    start: int = Field(description="offset of the sentence in the document's text")
    end: int


class TermOut(BaseModel):
    value: Any = Field(description="as `msp-vcm extract` gives it: ISO date, {value, unit}, {amount, ...}")
    category: str | None = Field(description="the CUAD category this term answers")
    evidence: EvidenceOut | None = Field(description="the sentence stating it; None for a value set by hand")
    confidence: float
    corrected_by: str | None = None


class DeadlineOut(BaseModel):
    term_end: date
    notice_deadline: date
    days_left: int


class ContractOut(BaseModel):
    contract_id: str
    vendor_name: str | None
    client_id: str | None
    department: str | None
    owner: str | None
    file_name: str
    document_id: str
    status: str = Field(description="draft, pending_approval, rejected, pending_start, active, renewed, ...")
    approvers: list[str] = Field(description="roles that may approve it (by annual value)")
    read_status: str
    read_detail: str | None
    needs_review: list[str]
    annual_value: Decimal | None
    currency: str | None
    deadline: DeadlineOut | None
    client_agreement_id: str | None = Field(
        default=None, description="the PSA client agreement it backs (set, or the client's only one)"
    )
    client_agreement_end: date | None = Field(
        description="that agreement's last day (from the PSA; else as set by PATCH)"
    )
    outlives_client_agreement: bool | None = Field(
        description="the renewed vendor term would run past the client agreement: a warning"
    )
    terminated_on: date | None = Field(default=None, description="the day a terminated contract ends")
    termination_reason: str | None = None
    terms: dict[str, TermOut | None]


class ContractSummary(BaseModel):
    contract_id: str
    vendor_name: str | None
    status: str
    expiration_date: date | None
    term_end: date | None = Field(description="end of the running term (rolled forward if evergreen)")
    notice_deadline: date | None
    annual_value: Decimal | None
    currency: str | None
    needs_review: list[str]


def _today(session: Session) -> date:
    """The service clock's day; before any tick, the latest document's arrival (never the wall clock)."""
    tick = session.execute(sa_select(service_clock.c.now)).scalar_one_or_none()
    if tick is not None:
        return tick.date() if isinstance(tick, datetime) else date.fromisoformat(str(tick)[:10])
    latest = session.execute(sa_select(func.max(ContractRow.received_at))).scalar_one_or_none()  # type: ignore[arg-type]
    if latest is None:
        return date(1970, 1, 1)
    return latest.date() if isinstance(latest, datetime) else date.fromisoformat(str(latest)[:10])


def _status(row: ContractRow, today: date) -> str:
    return status(
        row.state,
        row.effective_date,
        row.expiration_date,
        row.perpetual,
        bool(row.auto_renew),
        columns.renewal_terms(row).renewal_term,
        today,
    )


def _summary(row: ContractRow, today: date) -> ContractSummary:
    deadline = current_deadline(columns.renewal_terms(row), today)
    renewal = columns.renewal_terms(row)
    term_end = (
        term_end_on(row.expiration_date, renewal.auto_renew, renewal.renewal_term, today)
        if row.expiration_date is not None
        else None
    )
    return ContractSummary(
        contract_id=row.contract_id,
        vendor_name=row.vendor_name,
        status=_status(row, today),
        expiration_date=row.expiration_date,
        term_end=term_end,
        notice_deadline=None if deadline is None else deadline.notice_deadline,
        annual_value=row.annual_value,
        currency=row.currency,
        needs_review=json.loads(row.needs_review),
    )


def _deadline(row: ContractRow, today: date) -> Deadline | None:
    """The notice deadline still to act on: none once the contract is terminated or rejected."""
    if row.state in ("terminated", "rejected"):
        return None
    return current_deadline(columns.renewal_terms(row), today)


def _out(session: Session, row: ContractRow) -> ContractOut:
    today = _today(session)
    deadline = _deadline(row, today)
    backed = backed_agreement(session, row)
    terms = json.loads(row.terms_json)
    return ContractOut(
        contract_id=row.contract_id,
        vendor_name=row.vendor_name,
        client_id=row.client_id,
        department=row.department,
        owner=row.owner,
        file_name=row.file_name,
        document_id=row.document_id,
        status=_status(row, today),
        approvers=list(roles_for(row.annual_value)),
        read_status=row.read_status,
        read_detail=row.read_detail,
        needs_review=json.loads(row.needs_review),
        annual_value=row.annual_value,
        currency=row.currency,
        deadline=None
        if deadline is None
        else DeadlineOut(
            term_end=deadline.term_end,
            notice_deadline=deadline.notice_deadline,
            days_left=(deadline.notice_deadline - today).days,
        ),
        client_agreement_id=None if backed is None else backed.agreement_id,
        client_agreement_end=None if backed is None else backed.end,
        outlives_client_agreement=None
        if deadline is None
        else services.outlives_client_agreement(row, deadline.term_end, backed),
        terminated_on=row.terminated_on,
        termination_reason=row.termination_reason,
        terms={name: None if terms.get(name) is None else TermOut(**terms[name]) for name in CATEGORIES},
    )


def _contract(session: Session, contract_id: str) -> ContractRow:
    row = ContractRepository(session).get(contract_id)
    if row is None:
        raise HTTPException(404, f"no contract {contract_id!r}")
    return row


class ContractUpload(BaseModel):
    """A contract file, as the mailbox would send it: PDF or DOCX base64, or plain text."""

    file_name: Name
    media_type: MediaType
    content_base64: str | None = Field(default=None, max_length=1_000_000, description="PDF or DOCX bytes")
    text: str | None = Field(default=None, max_length=1_000_000, description="plain text (text/plain only)")
    vendor_name: Name | None = None
    client_id: EntityId | None = None
    department: Name | None = None
    owner: Name | None = None
    contract_id: EntityId | None = Field(default=None, description="a known contract this amends")
    document_kind: Literal["contract", "amendment", "order_form", "renewal_notice"] | None = None


@router.post(
    "/contracts",
    status_code=201,
    response_model=ContractOut,
    summary="Upload a contract: it is read, its terms extracted with evidence, and registered",
    responses={
        409: {"description": "this content is already registered (the detail names the contract)"},
        413: {"description": "the file is larger than MAX_UPLOAD_BYTES"},
        415: {"description": "the bytes are not the media type given (or not PDF, DOCX or text)"},
        422: {"description": BAD_REQUEST},
    },
)
def upload_contract(request: Request, upload: ContractUpload) -> ContractOut:
    service = request.app.state.service
    if (upload.content_base64 is None) == (upload.text is None):
        raise HTTPException(422, "give exactly one of content_base64 or text")
    if upload.text is not None and upload.media_type != "text/plain":
        raise HTTPException(422, f"text is only for text/plain; send {upload.media_type} as content_base64")
    try:
        content = (
            base64.b64decode(upload.content_base64, validate=True)
            if upload.content_base64 is not None
            else (upload.text or "").encode()
        )
    except (binascii.Error, ValueError) as exc:
        raise HTTPException(422, f"content_base64 is not valid base64: {exc}") from None
    limit = service.settings.max_upload_bytes
    if len(content) > limit:
        raise HTTPException(413, f"the file has {len(content)} bytes; the limit is {limit}")
    kind = sniff(content, upload.file_name)
    if content.strip() and kind != upload.media_type:
        raise HTTPException(415, f"the bytes are {kind or 'not PDF, DOCX or text'}, not {upload.media_type}")
    arrived = datetime.now(UTC)
    sha = hashlib.sha256(content).hexdigest()
    data = ContractDocumentReceived(
        document_id=f"upload:{sha}",
        contract_id=upload.contract_id,
        document_kind=upload.document_kind,
        vendor_name=upload.vendor_name,
        client_id=upload.client_id,
        file_name=upload.file_name,
        media_type=upload.media_type,
        content_base64=base64.b64encode(content).decode() if upload.media_type != "text/plain" else None,
        text=content.decode("utf-8", "replace") if upload.media_type == "text/plain" else None,
        received_at=arrived,
        uploaded_by=_caller(request)[0],
    )
    cause = Envelope.build(data, source="vcm.upload", time=arrived)
    with Session(service.engine) as session:
        if DocumentRepository(session).with_content(sha) is not None:
            known = ContractRepository(session).get(upload.contract_id or services.contract_id_for(sha))
            raise HTTPException(
                409, f"this content is already registered as {known.contract_id if known else sha}"
            )
        claim_inbox(session, [cause])
        uow = UnitOfWork(session, cause, service.name)
        services.record_document(uow, services.receipt(content, data), content)
        row = ContractRepository(session).get(upload.contract_id or services.contract_id_for(sha))
        assert row is not None
        if upload.department is not None or upload.owner is not None:
            row.department, row.owner = upload.department or row.department, upload.owner or row.owner
            session.add(row)
        append_outbox(session, uow.emitted)
        session.commit()
        return _out(session, row)


@router.get(
    "/contracts",
    response_model=list[ContractSummary],
    summary="The contract register; expiring_within=N keeps contracts whose running term ends within N days",
    responses={422: {"description": BAD_REQUEST}},
)
def list_contracts(
    request: Request,
    expiring_within: Annotated[
        int | None, Query(ge=0, le=3650, description="days from the clock's today")
    ] = None,
    vendor_name: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ContractSummary]:
    with Session(request.app.state.service.engine) as session:
        today = _today(session)
        repo = ContractRepository(session)
        if expiring_within is None:
            return [
                _summary(r, today) for r in repo.page(vendor_name=vendor_name, limit=limit, offset=offset)
            ]
        rows = repo.page(vendor_name=vendor_name, expiring_by=today, limit=1_000_000)
        summaries = [_summary(r, today) for r in rows]
        within = [
            s
            for s in summaries
            if s.term_end is not None
            and s.status not in ("expired", "terminated", "rejected")
            and 0 <= (s.term_end - today).days <= expiring_within
        ]
        within.sort(key=lambda s: (s.term_end or today, s.contract_id))
        return within[offset : offset + limit]


@router.get(
    "/contracts/search",
    response_model=list[ContractSummary],
    summary="Full-text search over the contracts' text (every word must match), best match first",
    responses={422: {"description": BAD_REQUEST}},
)
def search_contracts(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ContractSummary]:
    with Session(request.app.state.service.engine) as session:
        today = _today(session)
        repo = ContractRepository(session)
        rows = [repo.get(cid) for cid in repo.search(q, limit)]
        return [_summary(r, today) for r in rows if r is not None]


@router.get(
    "/contracts/{contract_id}",
    response_model=ContractOut,
    summary="A contract with its terms and evidence",
    responses=NOT_FOUND,
)
def get_contract(request: Request, contract_id: Annotated[EntityId, Path()]) -> ContractOut:
    with Session(request.app.state.service.engine) as session:
        return _out(session, _contract(session, contract_id))


class PeriodIn(BaseModel):
    value: int = Field(ge=1, le=1200)
    unit: Literal["days", "weeks", "months", "years"]
    business: bool | None = Field(
        default=None, description="days are business days (Monday to Friday; a notice period only)"
    )

    @model_serializer(mode="wrap")
    def _as_extracted(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """As the extractor writes a period: ``business`` only when true."""
        out: dict[str, Any] = handler(self)
        if not out.get("business"):
            out.pop("business", None)
        return out


class MoneyIn(BaseModel):
    amount: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    period: Literal["year", "month", "total"] | None = None


class PriceCapIn(BaseModel):
    cap_percent: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=8, decimal_places=4)
    cpi: bool = False


class TermValues(BaseModel):
    """Corrected values; a field given as null means the contract does not state the term."""

    parties: list[Name] | None = Field(default=None, max_length=10)
    agreement_date: date | None = None
    effective_date: date | None = None
    expiration_date: date | Literal["perpetual"] | None = None
    initial_term: PeriodIn | None = None
    renewal_term: PeriodIn | None = None
    auto_renew: bool | None = None
    notice_period: PeriodIn | None = None
    termination_for_convenience: bool | None = None
    governing_law: Name | None = None
    contract_value: MoneyIn | None = None
    payment_terms: int | None = Field(default=None, ge=0, le=365)
    price_restrictions: PriceCapIn | None = None


class ContractPatch(BaseModel):
    set: TermValues | None = Field(default=None, description="terms to correct")
    confirm: list[FieldName] = Field(default_factory=list, description="terms confirmed as extracted")
    comment: str | None = Field(default=None, max_length=2000)
    vendor_name: Name | None = None
    department: Name | None = None
    owner: Name | None = None
    client_agreement_end: date | None = Field(
        default=None, description="end of the client agreement it backs, when the PSA does not say"
    )
    client_agreement_id: EntityId | None = Field(
        default=None, description="the PSA client agreement it backs (psa.agreement.upserted)"
    )


def _caller(request: Request) -> tuple[str, tuple[str, ...]]:
    """Who acts: the token's subject and roles (with authentication off, a local owner)."""
    caller = getattr(request.state, "caller", None)
    if caller is None:
        return "local", ("owner",)
    return caller.subject, tuple(sorted(caller.roles))


@router.patch(
    "/contracts/{contract_id}",
    response_model=ContractOut,
    summary="Confirm or correct extracted terms (each change kept in the audit trail) and set the owner",
    responses={**NOT_FOUND, 409: {"description": "the contract is terminated"}},
)
def patch_contract(
    request: Request, contract_id: Annotated[EntityId, Path()], patch: ContractPatch
) -> ContractOut:
    who, _roles = _caller(request)
    at = datetime.now(UTC)
    with Session(request.app.state.service.engine) as session:
        repo = ContractRepository(session)
        row = _contract(session, contract_id)
        terms = json.loads(row.terms_json)
        review = [n for n in json.loads(row.needs_review) if n not in patch.confirm]
        for name in patch.confirm:
            repo.add_correction(
                contract_id,
                name,
                columns.value(terms, name),
                columns.value(terms, name),
                confirmed=True,
                by=who,
                comment=patch.comment,
                at=at,
            )
            if terms.get(name) is not None:
                terms[name] = {**terms[name], "confidence": 1.0, "corrected_by": who}
        given = patch.set.model_dump(mode="json", include=patch.set.model_fields_set) if patch.set else {}
        for field_name, new in given.items():
            old = columns.value(terms, field_name)
            repo.add_correction(
                contract_id, field_name, old, new, confirmed=False, by=who, comment=patch.comment, at=at
            )
            terms[field_name] = (
                None
                if new is None
                else {
                    "value": new,
                    "category": CATEGORIES[field_name],
                    "evidence": None,
                    "confidence": 1.0,
                    "corrected_by": who,
                }
            )
            review = [n for n in review if n != field_name]
        if "document" in review and given:
            review.remove("document")
        try:
            new_state = state_after_correction(row.state, review)
        except IllegalTransition as exc:
            raise HTTPException(409, str(exc)) from None
        if new_state != row.state:
            repo.add_approval(
                ContractApproval(
                    contract_id=contract_id,
                    action="corrected",
                    actor=who,
                    roles="",
                    from_state=row.state,
                    to_state=new_state,
                    comment=patch.comment,
                    at=at,
                )
            )
        row.state = new_state
        row.terms_json, row.needs_review = json.dumps(terms, sort_keys=True), json.dumps(review)
        for attr in ("vendor_name", "department", "owner", "client_agreement_end", "client_agreement_id"):
            if attr in patch.model_fields_set:
                setattr(row, attr, getattr(patch, attr))
        columns.apply(row, terms)
        row.updated_at = at
        session.add(row)
        session.commit()
        return _out(session, row)


class CorrectionOut(BaseModel):
    field_name: str
    old: Any
    new: Any
    confirmed: bool
    corrected_by: str
    comment: str | None
    at: datetime


@router.get(
    "/contracts/{contract_id}/corrections",
    response_model=list[CorrectionOut],
    summary="The audit trail of confirmations and corrections, oldest first",
    responses=NOT_FOUND,
)
def list_corrections(request: Request, contract_id: Annotated[EntityId, Path()]) -> list[CorrectionOut]:
    with Session(request.app.state.service.engine) as session:
        _contract(session, contract_id)
        return [
            CorrectionOut(
                field_name=c.field_name,
                old=json.loads(c.old_json),
                new=json.loads(c.new_json),
                confirmed=c.confirmed,
                corrected_by=c.corrected_by,
                comment=c.comment,
                at=c.at,
            )
            for c in ContractRepository(session).corrections(contract_id)
        ]


class TestCaseOut(BaseModel):
    name: str
    text: str = Field(description="the document's text as read")
    truth: dict[str, Any] = Field(
        description="the confirmed and corrected values, as the held-out truth rows"
    )


@router.get(
    "/contracts/{contract_id}/test-case",
    response_model=TestCaseOut,
    summary="The contract as an extraction test case: its text and the values people confirmed",
    responses=NOT_FOUND,
)
def export_test_case(request: Request, contract_id: Annotated[EntityId, Path()]) -> TestCaseOut:
    with Session(request.app.state.service.engine) as session:
        row = _contract(session, contract_id)
        terms = json.loads(row.terms_json)
        return TestCaseOut(
            name=row.file_name, text=row.body, truth={n: columns.value(terms, n) for n in SCORED}
        )


class DecisionIn(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


def _decide(request: Request, contract_id: str, decision: DecisionIn, action: str) -> ContractOut:
    who, roles = _caller(request)
    at = datetime.now(UTC)
    with Session(request.app.state.service.engine) as session:
        row = _contract(session, contract_id)
        review = json.loads(row.needs_review)
        try:
            if action == "approve":
                new_state = approve(row.state, review, roles, roles_for(row.annual_value))
            else:
                new_state = reject(row.state)
        except IllegalTransition as exc:
            raise HTTPException(409, str(exc)) from None
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from None
        return _step(session, row, (action, who, roles), new_state, decision.comment, at)


def _step(
    session: Session,
    row: ContractRow,
    by: tuple[str, str, tuple[str, ...]],
    new_state: str,
    comment: str | None,
    at: datetime,
) -> ContractOut:
    """Move the contract to its new state and keep the step in the workflow's audit trail."""
    action, who, roles = by
    ContractRepository(session).add_approval(
        ContractApproval(
            contract_id=row.contract_id,
            action=action,
            actor=who,
            roles=",".join(roles),
            from_state=row.state,
            to_state=new_state,
            comment=comment,
            at=at,
        )
    )
    row.state, row.updated_at = new_state, at
    session.add(row)
    session.commit()
    return _out(session, row)


DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "the contract's value needs an approver with another role"},
    409: {"description": "not allowed from the contract's state (e.g. terms still to review)"},
}


@router.post(
    "/contracts/{contract_id}/approve",
    response_model=ContractOut,
    responses=DECISION_RESPONSES,
    summary="Approve a contract awaiting approval (the approver's role must cover its value)",
)
def approve_contract(
    request: Request, contract_id: Annotated[EntityId, Path()], decision: DecisionIn
) -> ContractOut:
    return _decide(request, contract_id, decision, "approve")


@router.post(
    "/contracts/{contract_id}/reject",
    response_model=ContractOut,
    responses=DECISION_RESPONSES,
    summary="Reject a contract awaiting approval; correcting it re-opens it",
)
def reject_contract(
    request: Request, contract_id: Annotated[EntityId, Path()], decision: DecisionIn
) -> ContractOut:
    return _decide(request, contract_id, decision, "reject")


class TerminationIn(BaseModel):
    terminated_on: date = Field(description="the day the contract ends")
    reason: str = Field(min_length=1, max_length=1960, description="why (kept in the audit trail)")


@router.post(
    "/contracts/{contract_id}/terminate",
    response_model=ContractOut,
    responses={
        **NOT_FOUND,
        409: {"description": "already terminated, or rejected (never in force)"},
        422: {"description": "the termination date is before the contract starts"},
    },
    summary="Terminate a contract on a date, with a reason: its renewal reminders stop",
)
def terminate_contract(
    request: Request, contract_id: Annotated[EntityId, Path()], termination: TerminationIn
) -> ContractOut:
    who, roles = _caller(request)
    at = datetime.now(UTC)
    with Session(request.app.state.service.engine) as session:
        row = _contract(session, contract_id)
        try:
            new_state = terminate(row.state, row.effective_date, termination.terminated_on)
        except IllegalTransition as exc:
            raise HTTPException(409, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        row.terminated_on, row.termination_reason = termination.terminated_on, termination.reason
        ContractRepository(session).close_cases(row.contract_id)  # no renewal left to decide
        comment = f"terminated on {termination.terminated_on.isoformat()}: {termination.reason}"
        return _step(session, row, ("terminate", who, roles), new_state, comment, at)


class ApprovalOut(BaseModel):
    action: str
    actor: str
    roles: str
    from_state: str
    to_state: str
    comment: str | None
    at: datetime


@router.get(
    "/contracts/{contract_id}/approvals",
    response_model=list[ApprovalOut],
    summary="The approval workflow's audit trail, oldest first",
    responses=NOT_FOUND,
)
def list_approvals(request: Request, contract_id: Annotated[EntityId, Path()]) -> list[ApprovalOut]:
    with Session(request.app.state.service.engine) as session:
        _contract(session, contract_id)
        return [
            ApprovalOut(
                action=a.action,
                actor=a.actor,
                roles=a.roles,
                from_state=a.from_state,
                to_state=a.to_state,
                comment=a.comment,
                at=a.at,
            )
            for a in ContractRepository(session).approvals(contract_id)
        ]


# --------------------------------------------------------------------------- renewals and vendors


class SpendAnalysisOut(BaseModel):
    """DSA's spend analysis of the renewal (rule 3, ``spend.vendor.analyzed``), its latest."""

    recommendation: Literal["renew", "renegotiate", "cancel"]
    spend_12m: Decimal = Field(description="spend with the vendor in the 12 months analysed")
    currency: str
    window_end: date = Field(description="last day of the 12 months analysed")
    price_change_pct: Decimal | None = Field(description="last 3 months against the first 3, %")


class RenewalOut(BaseModel):
    contract_id: str
    vendor_name: str | None
    term_end: date
    notice_deadline: date
    days_left: int
    auto_renew: bool
    annual_value: Decimal | None
    currency: str | None
    case_status: str | None = Field(description="the renewal case, once the first reminder opened it")
    consensus: Literal["open", "approved", "rejected", "expired"] | None = Field(
        default=None,
        description=(
            "the agents' vote on renewing (DSA, SLI, CPI; only at or above CONSENSUS_THRESHOLD): open "
            "while they vote, then its outcome, also recorded on the renewal case"
        ),
    )
    consensus_decision_id: str | None = Field(default=None, description="that decision's id")
    spend_analysis: SpendAnalysisOut | None = Field(
        default=None, description="DSA's analysis of this renewal, once the case's reminder reached it"
    )


@router.get(
    "/renewals",
    response_model=list[RenewalOut],
    summary="Notice deadlines within the next N days (default 120), soonest first, with their cases",
    responses={422: {"description": BAD_REQUEST}},
)
def list_renewals(
    request: Request,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 120,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[RenewalOut]:
    with Session(request.app.state.service.engine) as session:
        today = _today(session)
        repo = ContractRepository(session)
        votes = {d.proposal.decision_id: d for d in decisions(session) if d.proposal.proposer == "vcm"}
        out = []
        for row in repo.with_notice():
            deadline = current_deadline(columns.renewal_terms(row), today)
            if deadline is None or (deadline.notice_deadline - today).days > within_days:
                continue
            case = repo.case(row.contract_id, deadline.notice_deadline)
            vote = votes.get(renewal_decision_id(row.contract_id, deadline.notice_deadline))
            spend = vendor_signals.renewal_spend(session, row.contract_id)
            if case is None or spend is None or spend.reported_at.date() < case.opened_on:
                spend = None  # none yet, or an earlier term's analysis
            out.append(
                RenewalOut(
                    contract_id=row.contract_id,
                    vendor_name=row.vendor_name,
                    term_end=deadline.term_end,
                    notice_deadline=deadline.notice_deadline,
                    days_left=(deadline.notice_deadline - today).days,
                    auto_renew=bool(row.auto_renew),
                    annual_value=row.annual_value,
                    currency=row.currency,
                    case_status=None if case is None else case.status,
                    consensus=None if vote is None else vote.status,  # type: ignore[arg-type]
                    consensus_decision_id=None if vote is None else vote.proposal.decision_id,
                    spend_analysis=None
                    if spend is None
                    else SpendAnalysisOut(
                        recommendation=spend.recommendation,  # type: ignore[arg-type]
                        spend_12m=spend.spend_12m,
                        currency=spend.currency,
                        window_end=spend.window_end,
                        price_change_pct=spend.price_change_pct,
                    ),
                )
            )
        out.sort(key=lambda r: (r.notice_deadline, r.contract_id))
        return out[offset : offset + limit]


class ValueOut(BaseModel):
    currency: str
    annual_value: Decimal


class MoneyOut(BaseModel):
    currency: str
    amount: Decimal


def _money_list(totals: dict[str, Decimal]) -> list[MoneyOut]:
    return [MoneyOut(currency=c, amount=a) for c, a in sorted(totals.items())]


class ScorecardOut(BaseModel):
    vendor_name: str
    contracts: int
    by_status: dict[str, int]
    annual_value: list[ValueOut] = Field(description="committed annual spend per currency")
    max_price_increase_pct: Decimal | None = Field(
        description="largest price-increase cap among its contracts"
    )
    uncapped_price_increases: int = Field(description="contracts with no cap on price increases at renewal")
    next_notice_deadline: date | None
    renewal_cases: int
    open_spend_anomalies: int = Field(description="DSA's open spend anomalies naming this vendor")
    anomaly_impact: list[MoneyOut] = Field(description="their impact (actual - expected) per currency")
    open_licence_findings: int = Field(
        description="SLI's open licence findings on subscriptions (or SKUs) of this vendor"
    )
    licence_seats_affected: int
    licence_exposure_monthly: list[MoneyOut] = Field(description="their monthly exposure per currency")
    observed_price_change_pct: dict[str, Decimal] = Field(
        description="per contract: the price change DSA observed in the 12 months' spend before its "
        "renewal (last 3 months against the first 3); only where the spend allowed it"
    )


@router.get(
    "/vendors/{vendor_name}/scorecard",
    response_model=ScorecardOut,
    summary="A vendor's contracts, committed spend, price-increase exposure and renewals",
    responses={404: {"description": "no contract with that vendor"}, 422: {"description": BAD_REQUEST}},
)
def vendor_scorecard(request: Request, vendor_name: Annotated[EntityId, Path()]) -> ScorecardOut:
    with Session(request.app.state.service.engine) as session:
        today = _today(session)
        repo = ContractRepository(session)
        rows = repo.for_vendor(vendor_name)
        if not rows:
            raise HTTPException(404, f"no contract with vendor {vendor_name!r}")
        by_status: dict[str, int] = {}
        spend: dict[str, Decimal] = {}
        deadlines = []
        cases = 0
        for row in rows:
            s = _status(row, today)
            by_status[s] = by_status.get(s, 0) + 1
            if (
                row.annual_value is not None
                and row.currency
                and s not in ("expired", "terminated", "rejected")
            ):
                spend[row.currency] = spend.get(row.currency, Decimal(0)) + row.annual_value
            deadline = _deadline(row, today)
            if deadline is not None:
                deadlines.append(deadline.notice_deadline)
                if repo.case(row.contract_id, deadline.notice_deadline) is not None:
                    cases += 1
        caps = [r.price_cap_pct for r in rows if r.price_cap_pct is not None]
        seen = vendor_signals.signals(session, vendor_name)
        return ScorecardOut(
            vendor_name=vendor_name,
            contracts=len(rows),
            by_status=dict(sorted(by_status.items())),
            annual_value=[ValueOut(currency=c, annual_value=v) for c, v in sorted(spend.items())],
            max_price_increase_pct=max(caps) if caps else None,
            uncapped_price_increases=sum(1 for r in rows if r.price_cap_pct is None),
            next_notice_deadline=min(deadlines) if deadlines else None,
            renewal_cases=cases,
            open_spend_anomalies=seen.open_anomalies,
            anomaly_impact=_money_list(seen.anomaly_impact),
            open_licence_findings=seen.open_licence_findings,
            licence_seats_affected=seen.seats_affected,
            licence_exposure_monthly=_money_list(seen.licence_exposure_monthly),
            observed_price_change_pct=seen.observed_price_change_pct,
        )
