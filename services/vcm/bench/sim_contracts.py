"""Simulator contract documents with their truth, in the shape ``msp-vcm extract`` answers.

The simulator (``msp_sim.contracts``) draws the terms and ``msp_sim.documents`` writes them in
one of many real-world phrasings; this module pairs each text with the values a reader would
write down, so tests and the benchmark score the extractor the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from msp_sim.contracts import vendor_contracts
from msp_sim.documents import ContractTerms, compose_contract, render_pdf
from msp_sim.params import Params
from msp_sim.rng import stream


@dataclass(frozen=True)
class SimDocument:
    name: str
    text: str
    terms: ContractTerms
    truth: dict[str, Any]

    def pdf(self) -> bytes:
        from datetime import UTC, datetime, time

        created = datetime.combine(self.terms.agreement_date, time(9), tzinfo=UTC)
        return render_pdf(self.text, title=self.terms.contract_title, created=created)


def truth_of(terms: ContractTerms) -> dict[str, Any]:
    law = terms.governing_law
    for prefix in ("State of ", "Commonwealth of ", "Province of "):
        law = law.removeprefix(prefix)
    iso = date.isoformat
    return {
        "parties": [terms.vendor_name, terms.customer_name],
        "agreement_date": iso(terms.agreement_date),
        "effective_date": iso(terms.effective_date),
        "expiration_date": iso(terms.expiration_date),
        "renewal_term": (
            {"value": terms.renewal_term_months, "unit": "months"} if terms.renewal_term_months else None
        ),
        "auto_renew": terms.auto_renews,
        "notice_period": {"value": terms.notice_days, "unit": "days"} if terms.notice_days else None,
        "governing_law": law,
        "contract_value": {"amount": str(terms.annual_value), "currency": terms.currency},
    }


def documents(count: int, *, seed: int = 7) -> Iterator[SimDocument]:
    """``count`` contracts as the simulator writes them (cycling seeds past its 400 per run)."""
    made = 0
    run = 0
    while made < count:
        params = Params(seed=seed + run, clients=3200, months=24)
        for contract in vendor_contracts(params, ["C-1", "C-2"]):
            if made == count:
                return
            composed = compose_contract(contract.terms, stream(params.seed, "contract-text", contract.number))
            yield SimDocument(
                f"sim-{params.seed}-{contract.number}",
                composed.text,
                contract.terms,
                truth_of(contract.terms),
            )
            made += 1
        run += 1
