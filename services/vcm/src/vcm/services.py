"""VCM's use cases: each runs inside the unit of work the runtime opened for one event (or, for the
API's uploads, one the API opened for its own command)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from msp_events import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ContractRenewalDue
from msp_events.types.contracts import ContractDocumentReceived, ContractTermsExtracted

from vcm import deciding
from vcm import terms as columns
from vcm.client_agreements import BackedAgreement, backed_agreement
from vcm.domain.calendar import BUSINESS_DAYS
from vcm.domain.consensus import needs_consensus
from vcm.domain.deadlines import (
    DEFAULT_OFFSETS,
    Period,
    current_deadline,
    next_term_end,
    reminders_due,
    skipped_by,
)
from vcm.domain.documents import ReceivedDocument, is_first_receipt, received
from vcm.domain.extraction import CATEGORIES, extract
from vcm.domain.register import DEFAULT_RULES, ApprovalRule, state_after_intake
from vcm.reading import read_document
from vcm.store.contracts import ContractRepository
from vcm.store.repository import DocumentRepository
from vcm.store.tables import ContractRow, RenewalCase, RenewalReminder


@dataclass(frozen=True)
class Policy:
    """The procurement desk's rules (from the settings)."""

    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS
    approval_rules: tuple[ApprovalRule, ...] = DEFAULT_RULES
    unreadable_review: tuple[str, ...] = field(default=("document",))
    consensus_threshold: Decimal = Decimal(10000)
    """Annual value (contract currency) from which a renewal goes to DSA, SLI and CPI for a vote."""
    consensus_vote_days: int = 7


def contract_id_for(sha256: str) -> str:
    return f"VC-{sha256[:12]}"


def receipt(content: bytes, d: ContractDocumentReceived) -> ReceivedDocument:
    """The register's record of one receipt of ``d`` (from the mailbox or an upload)."""
    return received(
        content,
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


def record_document(uow: UnitOfWork, document: ReceivedDocument, content: bytes | None = None) -> bool:
    """Register the document unless its content already is; False for a copy of known content.

    The first receipt of a content is read and its terms extracted into the register (an
    amendment naming a known contract updates that contract's terms instead)."""
    documents = DocumentRepository(uow.session)
    if not is_first_receipt(document, documents.with_content(document.sha256)):
        return False
    documents.save(document)
    if content is not None:
        register(uow, document, content)
    return True


def register(uow: UnitOfWork, document: ReceivedDocument, content: bytes) -> ContractRow:
    contracts = ContractRepository(uow.session)
    read = read_document(content, document.file_name, document.media_type)
    extracted = extract(read.text).to_json() if read.status == "ok" and read.text is not None else {}
    review = [n for n, t in extracted.items() if t is not None and t["confidence"] < 0.75]
    if read.status != "ok":
        review = ["document"]
    target = document.contract_id or contract_id_for(document.sha256)
    row = contracts.get(target)
    now = uow.now
    if row is not None and row.document_sha256 == document.sha256:
        return row  # a later-dated copy of the content already registered
    if row is not None:
        _amend(contracts, row, extracted, document, now)
    else:
        row = ContractRow(
            contract_id=target,
            document_sha256=document.sha256,
            document_id=document.document_id,
            vendor_name=document.vendor_name or _first_party(extracted),
            client_id=document.client_id,
            file_name=document.file_name,
            state=state_after_intake(review),
            read_status=read.status,
            read_detail=read.detail,
            pages=read.pages,
            terms_json=json.dumps({n: extracted.get(n) for n in CATEGORIES}, sort_keys=True),
            needs_review=json.dumps(review),
            body=read.text or "",
            received_at=document.received_at,
            updated_at=now,
        )
        columns.apply(row, extracted)
        contracts.index_text(row.contract_id, row.body)
    contracts.save(row)
    uow.emit(terms_event(row, now.date()))
    return row


def _first_party(extracted: dict[str, Any]) -> str | None:
    parties = columns.value(extracted, "parties")
    return parties[0] if isinstance(parties, list) and parties else None


_NOT_AMENDED = ("parties", "agreement_date", "effective_date")
"""An amendment's own parties and dates describe the amendment, not the contract it amends."""


def _amend(
    contracts: ContractRepository,
    row: ContractRow,
    extracted: dict[str, Any],
    document: ReceivedDocument,
    now: datetime,
) -> None:
    """An amendment changes only the terms it states; each change is kept in the audit trail."""
    terms = json.loads(row.terms_json)
    for name, term in extracted.items():
        if term is None or name in _NOT_AMENDED or terms.get(name) == term:
            continue
        contracts.add_correction(
            row.contract_id,
            name,
            columns.value(terms, name),
            term["value"],
            confirmed=False,
            by=f"amendment {document.document_id}",
            comment=f"from {document.file_name}",
            at=now,
        )
        terms[name] = term
    row.terms_json = json.dumps(terms, sort_keys=True)
    row.updated_at = now
    columns.apply(row, terms)


def terms_event(row: ContractRow, today: date) -> ContractTermsExtracted:
    terms = json.loads(row.terms_json)
    deadline = current_deadline(columns.renewal_terms(row), today)
    parties = columns.value(terms, "parties")
    return ContractTermsExtracted(
        contract_id=row.contract_id,
        document_id=row.document_id,
        vendor_name=row.vendor_name,
        read_status=row.read_status,  # type: ignore[arg-type]
        parties=parties if isinstance(parties, list) else [],
        agreement_date=row.agreement_date,
        effective_date=row.effective_date,
        expiration_date=row.expiration_date,
        perpetual=row.perpetual,
        auto_renew=row.auto_renew,
        renewal_term_months=columns.renewal_months(row),
        notice_period_value=row.notice_value,
        notice_period_unit="days" if row.notice_unit == BUSINESS_DAYS else row.notice_unit,  # type: ignore[arg-type]
        notice_period_business_days=True if row.notice_unit == BUSINESS_DAYS else None,
        notice_deadline=None if deadline is None else deadline.notice_deadline,
        governing_law=columns.value(terms, "governing_law"),
        termination_for_convenience=columns.value(terms, "termination_for_convenience"),
        annual_value=_money(row.annual_value, row.currency),
        needs_review=json.loads(row.needs_review),
    )


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount=amount, currency=currency)


# -- renewal reminders, driven by clock.ticked only ---------------------------------------------


def on_clock(uow: UnitOfWork, policy: Policy) -> None:
    """Publish the reminders whose window today has reached, each once per deadline."""
    today = uow.now.date()
    contracts = ContractRepository(uow.session)
    for row in contracts.with_notice():
        deadline = current_deadline(columns.renewal_terms(row), today)
        if deadline is None:
            continue
        sent = contracts.reminded(row.contract_id, deadline.notice_deadline)
        for offset in reminders_due(deadline.notice_deadline, today, sent, policy.reminder_offsets):
            money = _money(row.annual_value, row.currency)
            contracts.add_reminder(
                RenewalReminder(
                    contract_id=row.contract_id,
                    notice_deadline=deadline.notice_deadline,
                    offset_days=offset,
                    term_end=deadline.term_end,
                    on_day=today,
                    outcome="published",
                )
            )
            for wider in skipped_by(offset, policy.reminder_offsets):
                if wider not in sent:
                    contracts.add_reminder(
                        RenewalReminder(
                            contract_id=row.contract_id,
                            notice_deadline=deadline.notice_deadline,
                            offset_days=wider,
                            term_end=deadline.term_end,
                            on_day=today,
                            outcome="skipped",
                        )
                    )
            open_renewal_case(contracts, row, deadline.notice_deadline, deadline.term_end, today)
            # published with or without a value (2.0): the deadline matters even when the fee is unknown
            backed = backed_agreement(uow.session, row)
            due = uow.emit(
                renewal_due(row, deadline.term_end, deadline.notice_deadline, today, money, backed)
            )
            if money is not None and needs_consensus(money.amount, policy.consensus_threshold):
                deciding.propose_renewal(uow, due.data, due.id, policy.consensus_vote_days)


def open_renewal_case(
    contracts: ContractRepository, row: ContractRow, deadline: date, term_end: date, today: date
) -> None:
    """The renewal decision for this term, opened by its first reminder.

    The reminder (``contract.renewal.due``) makes DSA analyse the vendor's spend (rule 3): its
    ``spend.vendor.analyzed`` is shown with this case in ``GET /renewals``; above the value
    threshold the same reminder proposes the renewal to DSA, SLI and CPI (rule 4,
    ``deciding.propose_renewal``) and the outcome is recorded here (``decision``). Terminating the
    contract closes the case."""
    if contracts.case(row.contract_id, deadline) is not None:
        return
    contracts.add_case(
        RenewalCase(
            contract_id=row.contract_id,
            notice_deadline=deadline,
            term_end=term_end,
            opened_on=today,
            status="open",
            annual_value=row.annual_value,
            currency=row.currency,
        )
    )


def outlives_client_agreement(
    row: ContractRow, term_end: date, backed: BackedAgreement | None
) -> bool | None:
    """Whether the renewed vendor term would run past the client agreement it backs (None: no
    agreement linked; an evergreen client agreement is never outlived)."""
    if backed is None:
        return None
    if backed.end is None:
        return False
    if row.auto_renew and row.renewal_value and row.renewal_unit:
        return next_term_end(term_end, Period(row.renewal_value, row.renewal_unit)) > backed.end
    return term_end > backed.end


def renewal_due(
    row: ContractRow,
    term_end: date,
    deadline: date,
    today: date,
    money: Money | None,
    backed: BackedAgreement | None,
) -> ContractRenewalDue:
    days = (deadline - today).days
    action = "opt out of the automatic renewal" if row.auto_renew else "give notice or renew"
    cap = row.price_cap_pct
    return ContractRenewalDue(
        contract_id=row.contract_id,
        vendor=row.vendor_name or "unknown vendor",
        contract_name=row.file_name,
        department=row.department,
        client_id=row.client_id,
        client_agreement_id=None if backed is None else backed.agreement_id,
        renewal_date=term_end,
        notice_deadline=deadline,
        days_to_notice_deadline=days,
        auto_renew=bool(row.auto_renew),
        renewal_term_months=columns.renewal_months(row),
        annual_value=money,
        expected_uplift_pct=cap,
        outlives_client_agreement=outlives_client_agreement(row, term_end, backed),
        recommendation="review",
        summary=f"{row.vendor_name or row.contract_id}: last day to {action} is {deadline.isoformat()} "
        f"({days} days); the term ends {term_end.isoformat()}.",
    )
