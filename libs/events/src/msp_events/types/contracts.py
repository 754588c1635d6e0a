"""Contract documents received for Vendor & Contract Management."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from msp_events.money import Money
from msp_events.registry import EventData, event

MediaType = Literal[
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
]


@event("vcm.contract.document.received", owner="source", key="document_id", consumers=("vcm",))
class ContractDocumentReceived(EventData):
    """A signed contract, amendment or order form was uploaded or e-mailed in.

    VCM extracts the key terms (CUAD categories: parties, effective and expiration dates, renewal
    term, notice period to terminate renewal, price restrictions, minimum commitment) to compute
    the notice deadline and track the renewal. The document travels inside the event so the
    extraction needs no file store; keep it under the broker's message limit (1 MB by default,
    so about 700 KB of file before base64).
    """

    document_id: str = Field(description="id of the received document (stable across re-delivery)")
    contract_id: str | None = Field(
        default=None, description="known contract this document amends/renews; None = a new contract"
    )
    document_kind: Literal["contract", "amendment", "order_form", "renewal_notice"] | None = Field(
        default=None, description="what the sender said the document is, if known"
    )
    vendor_name: str | None = Field(
        default=None, description="vendor (counterparty), if known before extraction"
    )
    client_id: str | None = Field(
        default=None, description="client served by this vendor contract (back-to-back), if any"
    )
    file_name: str = Field(description="original file name, e.g. 'Acme-MSA-2025.pdf'")
    media_type: MediaType = Field(description="IANA media type of the file")
    content_base64: str | None = Field(default=None, description="the file's bytes, base64 (PDF, DOCX)")
    text: str | None = Field(default=None, description="the document as plain text (text/plain only)")
    received_at: AwareDatetime = Field(description="when the document arrived")
    uploaded_by: str | None = Field(default=None, description="person or mailbox it came from")

    @model_validator(mode="after")
    def _content(self) -> Self:
        if (self.content_base64 is None) == (self.text is None):
            raise ValueError("give exactly one of content_base64 or text")
        if self.text is not None and self.media_type != "text/plain":
            raise ValueError(f"text is only for text/plain; send {self.media_type} as content_base64")
        if self.content_base64 is not None:
            try:
                base64.b64decode(self.content_base64, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"content_base64 is not valid base64: {exc}") from None
        return self


NoticeUnit = Literal["days", "weeks", "months", "years"]
ReadStatus = Literal["ok", "needs_ocr", "encrypted", "unreadable", "empty", "unsupported"]


@event("contract.terms.extracted", owner="vcm", key="contract_id", planned=("dsa",), minor=1)
class ContractTermsExtracted(EventData):
    """VCM read a contract document and extracted (or could not read) its key terms.

    Published once per document VCM registers (and again when an amendment changes the terms), so
    that finance sees a new vendor commitment as soon as it arrives (DSA, planned: the committed
    annual value in the owning department's spend forecast). Each
    value is what the document states (``None`` when it does not state it, never a default);
    ``needs_review`` names the terms read with low confidence, which a person confirms or corrects
    through VCM's API. A document VCM could not read still gets an event with its ``read_status``.
    """

    contract_id: str = Field(description="VCM's contract id (VC-<first 12 hex of the document's SHA-256>)")
    document_id: str = Field(description="the document the terms were read from")
    vendor_name: str | None = Field(default=None, description="vendor as sent with the document")
    read_status: ReadStatus = Field(description="ok, or why there is no text (needs_ocr, encrypted, ...)")
    parties: list[str] = Field(
        default_factory=list, description="contracting parties as named in the document"
    )
    agreement_date: date | None = Field(default=None, description="date the agreement was signed/dated")
    effective_date: date | None = Field(default=None, description="date the agreement takes effect")
    expiration_date: date | None = Field(default=None, description="end of the initial term")
    perpetual: bool = Field(default=False, description="runs until terminated (no expiration date)")
    auto_renew: bool | None = Field(default=None, description="renews unless notice is given")
    renewal_term_months: int | None = Field(default=None, ge=1, description="length of each renewal term")
    notice_period_value: int | None = Field(default=None, ge=1, description="notice to stop renewal, amount")
    notice_period_unit: NoticeUnit | None = Field(default=None, description="notice to stop renewal, unit")
    notice_period_business_days: bool | None = Field(
        default=None,
        description="the notice period's days are business days, Monday to Friday (since 1.1)",
    )
    notice_deadline: date | None = Field(
        default=None, description="last day to give notice for the running term (rolled forward if evergreen)"
    )
    governing_law: str | None = Field(default=None, description="jurisdiction name, e.g. 'New York'")
    termination_for_convenience: bool | None = Field(default=None, description="a party may end it at will")
    annual_value: Money | None = Field(default=None, description="annual contract value, if stated")
    needs_review: list[str] = Field(default_factory=list, description="terms read with low confidence")
