"""Vendor contracts arriving as documents (``vcm.contract.document.received``).

The MSP's own suppliers (tools, distributor, connectivity, premises) plus back-to-back contracts
for services resold to particular clients. Terms follow msp-benchmarks §9: 12- or 36-month
initial terms, mostly auto-renewing for a year, 30/60/90 days' notice. About a third of the
documents are planted so that the notice deadline falls 15-75 days after the document arrives
(the renewal VCM must catch); the others fall wherever their dates put them, and the truth lists
every contract's deadline. The text (and, for a third of them, a PDF) comes from
``msp_sim.documents`` so that the wording varies as real contracts do.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from msp_events.types.contracts import ContractDocumentReceived

from msp_sim.context import MonthContext
from msp_sim.params import Params
from msp_sim.rng import cents, lognormal_median, stable_uuid, stream
from msp_sim.timeline import add_months, local_to_utc

if TYPE_CHECKING:  # imported lazily at run time: rendering PDFs pulls in fpdf2
    from msp_sim.documents import ContractTerms

DOCUMENT_SOURCE = "vcm.mailbox"
MSP_NAME = "Northwind Managed Services LLC"
MSP_ADDRESS = "200 W Madison St, Suite 1400, Chicago, IL 60606"
UPLOADER = "contracts@northwind-msp.com"

# (vendor, contract title, vendor address, median annual value USD, back-to-back for a client)
VENDORS = (
    ("Datto, Inc.", "RMM and Backup Platform Agreement", "101 Merritt 7, Norwalk, CT 06851", 48_000, False),
    ("ConnectWise, LLC", "PSA Subscription Agreement", "400 N Tampa St, Tampa, FL 33602", 22_000, False),
    (
        "SentinelOne, Inc.",
        "Endpoint Security Reseller Agreement",
        "444 Castro St, Mountain View, CA 94041",
        30_000,
        False,
    ),
    (
        "Pax8, Inc.",
        "Cloud Distribution Agreement",
        "5500 S Quebec St, Greenwood Village, CO 80111",
        12_000,
        False,
    ),
    (
        "Comcast Business",
        "Business Services Agreement",
        "1701 JFK Blvd, Philadelphia, PA 19103",
        6_000,
        False,
    ),
    ("Ricoh USA, Inc.", "Equipment Lease Agreement", "300 Eagleview Blvd, Exton, PA 19341", 4_800, False),
    (
        "IT Glue",
        "Documentation Platform Subscription",
        "1 Bentall Centre, Vancouver, BC V6C 1B5",
        9_000,
        False,
    ),
    (
        "Proofpoint, Inc.",
        "Email Security Partner Agreement",
        "925 W Maude Ave, Sunnyvale, CA 94085",
        15_000,
        False,
    ),
    (
        "Lumen Technologies",
        "Dedicated Internet Access Service Agreement",
        "100 CenturyLink Dr, Monroe, LA 71203",
        14_000,
        True,
    ),
    (
        "Cisco Meraki",
        "Managed Network Licensing Agreement",
        "500 Terry A Francois Blvd, San Francisco, CA 94158",
        8_000,
        True,
    ),
    ("RingCentral, Inc.", "Hosted Voice Services Agreement", "20 Davis Dr, Belmont, CA 94002", 7_500, True),
    (
        "Veeam Software",
        "Cloud Connect Service Provider Agreement",
        "8800 Lyra Dr, Columbus, OH 43240",
        10_000,
        True,
    ),
)
LAWS = (
    "State of Illinois",
    "State of Delaware",
    "State of New York",
    "State of California",
    "State of Texas",
)


@dataclass(frozen=True, slots=True)
class VendorContract:
    number: int
    document_id: str
    contract_id: str
    client_id: str | None
    received_at: datetime
    as_pdf: bool
    planted: bool
    terms: ContractTerms

    def term_end(self) -> date:
        """End of the term running when the document arrived (renewals roll it forward)."""
        end = self.terms.expiration_date
        renewal = self.terms.renewal_term_months
        while end < self.received_at.date() and self.terms.auto_renews and renewal:
            end = add_months(end + timedelta(days=1), renewal) - timedelta(days=1)
        return end

    def notice_deadline(self) -> date | None:
        if not self.terms.auto_renews or self.terms.notice_days is None:
            return None
        return self.term_end() - timedelta(days=self.terms.notice_days)

    @property
    def file_name(self) -> str:
        stem = "-".join(part for part in self.terms.vendor_name.replace(",", "").replace(".", "").split()[:2])
        title = "".join(w[0] for w in self.terms.contract_title.split() if w[0].isupper())
        return f"{stem}-{title}-{self.terms.effective_date.year}.{'pdf' if self.as_pdf else 'txt'}"


def vendor_contracts(params: Params, client_ids: list[str]) -> list[VendorContract]:
    """Every contract document of the run, in arrival order."""
    from msp_sim.documents import ContractTerms

    count = min(400, 8 + params.clients // 8)
    horizon = (params.end - params.start).days
    out = []
    for n in range(1, count + 1):
        rng = stream(params.seed, "contract", n)
        vendor, title, address, median, back_to_back = VENDORS[(n - 1) % len(VENDORS)]
        received = params.start + timedelta(days=rng.randint(0, max(0, int(horizon * 0.7))))
        term = rng.choice((12, 12, 36))
        auto = rng.random() < 0.85
        notice = rng.choice((30, 60, 60, 90, 90)) if auto else None
        planted = auto and n % 3 == 1
        if planted and notice is not None:
            deadline = received + timedelta(days=rng.randint(15, 75))
            deadline = min(deadline, params.end - timedelta(days=1))
            expiration = deadline + timedelta(days=notice)
            while (expiration + timedelta(days=1)).day > 28:
                expiration -= timedelta(days=1)
            effective = add_months(expiration + timedelta(days=1), -term)
        else:
            effective = received - timedelta(days=rng.randint(20, 600))
        client_id = client_ids[rng.randrange(len(client_ids))] if back_to_back and client_ids else None
        terms = ContractTerms(
            vendor_name=vendor,
            vendor_address=address,
            customer_name=MSP_NAME,
            customer_address=MSP_ADDRESS,
            contract_title=title,
            agreement_date=effective - timedelta(days=rng.randint(0, 20)),
            effective_date=effective,
            term_months=term,
            auto_renews=auto,
            renewal_term_months=12 if auto else None,
            notice_days=notice,
            annual_value=cents(Decimal(round(lognormal_median(rng, median, 0.35), -2))),
            currency=params.currency,
            payment_terms_days=rng.choice((15, 30, 30, 45)),
            price_increase_cap_pct=rng.choice((None, Decimal("3"), Decimal("5"), Decimal("7"))),
            minimum_commitment=None,
            governing_law=rng.choice(LAWS),
            liability_cap_months=rng.choice((None, 12, 12, 6)),
        )
        out.append(
            VendorContract(
                number=n,
                document_id=stable_uuid(params.seed, "document", n),
                contract_id=f"VC-{n:04d}",
                client_id=client_id,
                received_at=local_to_utc(received, 9 + rng.randint(0, 7), rng.randint(0, 59)),
                as_pdf=n % 3 == 0,
                planted=planted,
                terms=terms,
            )
        )
    return out


def generate(ctx: MonthContext, contracts: list[VendorContract]) -> None:
    from msp_sim.documents import render_contract

    for contract in contracts:
        if not ctx.first <= contract.received_at.date() <= ctx.last:
            continue
        rng = stream(ctx.seed, "contract-text", contract.number)
        text, pdf = render_contract(contract.terms, rng, as_pdf=contract.as_pdf)
        ctx.emit(
            ContractDocumentReceived(
                document_id=contract.document_id,
                document_kind="contract",
                vendor_name=contract.terms.vendor_name,
                client_id=contract.client_id,
                file_name=contract.file_name,
                media_type="application/pdf" if pdf is not None else "text/plain",
                content_base64=base64.b64encode(pdf).decode() if pdf is not None else None,
                text=text if pdf is None else None,
                received_at=contract.received_at,
                uploaded_by=UPLOADER,
            ),
            source=DOCUMENT_SOURCE,
            time=contract.received_at,
        )
