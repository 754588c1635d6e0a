"""How CPI votes: on renewing a vendor contract, from the margin of the client it serves.

A vendor contract bought back-to-back for a client is paid for by that client's margin. CPI reads
the client's last judged months (up to three): healthy or strong approves; thin approves with half
the confidence; critical rejects, because renewing locks the cost in while the client already
loses money. Confidence grows with the months judged (three: 1). A contract that serves no client
CPI knows, or a client without a judged month, gets an abstention with the reason. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from msp_events.consensus import VoteChoice
from msp_events.types.consensus import DecisionProposed

from cpi.domain.months import add_months

PLACES = Decimal("0.01")
MONTHS = 3


@dataclass(frozen=True)
class JudgedMonth:
    month: str
    band: str
    margin_pct: Decimal


def vote_on_renewal(client_id: str | None, months: list[JudgedMonth]) -> VoteChoice:
    """``months``: the client's judged months, latest first."""
    if client_id is None:
        return VoteChoice(
            "abstain", "the contract serves no client: CPI knows no margin behind it", Decimal(0)
        )
    if not months:
        return VoteChoice("abstain", f"CPI has no judged month of client {client_id}", Decimal(0))
    recent = months[:MONTHS]
    latest = recent[0]
    confidence = Decimal(len(recent)) / MONTHS
    text = f"client {client_id} margin {latest.margin_pct} % in {latest.month} ({latest.band})"
    if latest.band == "critical":
        return VoteChoice("reject", f"{text}: renewing locks in the cost of a loss-making client", confidence)
    if latest.band == "thin":
        return VoteChoice(
            "approve", f"{text}: renew, but the margin is thin", (confidence / 2).quantize(PLACES)
        )
    return VoteChoice("approve", f"{text}: the client pays for it", confidence.quantize(PLACES))


# -- CPI proposes: repricing a client that stays in the critical band ------------------------------

STREAK = 3
VOTE_DAYS = 7
REPRICE_VOTERS = ("spo", "ram", "sli")


def critical_streak_starts(months: list[JudgedMonth], closed: str) -> bool:
    """Whether ``closed`` completes a fresh streak: it and the ``STREAK - 1`` months before it are
    critical, consecutive, and the month before those is not (so a streak is proposed once).
    ``months``: the client's judged months, latest first."""
    by_month = {m.month: m for m in months}
    run = [add_months(closed, -i) for i in range(STREAK)]
    if any(by_month.get(m) is None or by_month[m].band != "critical" for m in run):
        return False
    before = by_month.get(add_months(closed, -STREAK))
    return before is None or before.band != "critical"


def repricing_proposal(
    client_id: str, months: list[JudgedMonth], closed: str, now: datetime, target_pct: Decimal | None
) -> DecisionProposed:
    """Ask SPO, RAM and SLI whether to raise the client's price (majority of the three)."""
    run = [m for m in months if m.month in {add_months(closed, -i) for i in range(STREAK)}]
    margins = ", ".join(f"{m.month}: {m.margin_pct} %" for m in sorted(run, key=lambda m: m.month))
    parameters = {"client_id": client_id, "months": ",".join(sorted(m.month for m in run))}
    if target_pct is not None:
        parameters["target_margin_pct"] = str(target_pct)
    return DecisionProposed(
        decision_id=f"reprice/{client_id}/{closed}",
        proposer="cpi",
        action="raise_client_price",
        subject=f"client/{client_id}",
        parameters=parameters,
        rationale=f"client {client_id} has been in the critical margin band for {STREAK} months ({margins}).",
        required_voters=list(REPRICE_VOTERS),
        rule="majority",
        proposed_at=now,
        expires_at=now + timedelta(days=VOTE_DAYS),
    )
