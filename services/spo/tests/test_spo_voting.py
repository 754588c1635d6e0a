"""SPO's vote on repricing a client, by hand."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from msp_events.runtime.uow import Batch, UnitOfWork
from msp_events.testing.service import RunningService
from msp_events.types.consensus import DecisionProposed

from spo import services, voting
from spo.domain.voting import ClientOutlook, vote_on_repricing
from spo.domain.winprob import STAGE_BASE_RATES
from spo.handlers import opportunity_version
from spo.winning import WinConfig

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import start_service
from test_win_service import deal as win_deal
from test_win_service import env


def test_high_churn_risk_rejects() -> None:
    choice = vote_on_repricing("C-1", ClientOutlook(Decimal("0.62"), 0, Decimal(0), True))
    assert (choice.vote, choice.confidence) == ("reject", Decimal(1))
    assert choice.reason == "client C-1: churn risk 62.00 %: a price rise would push it out"


def test_open_deals_reject_and_an_unknown_risk_halves_the_confidence() -> None:
    choice = vote_on_repricing("C-1", ClientOutlook(None, 2, Decimal(900), True))
    assert (choice.vote, choice.confidence) == ("reject", Decimal("0.5"))
    assert "2 open deal(s) worth 900 a month" in choice.reason


def test_low_risk_and_no_deal_approves_and_an_unknown_client_abstains() -> None:
    assert vote_on_repricing("C-1", ClientOutlook(Decimal("0.35"), 0, Decimal(0), True)).vote == "approve"
    assert vote_on_repricing("C-1", ClientOutlook(None, 0, Decimal(0), False)).vote == "abstain"


async def test_a_vote_sees_the_deals_its_batch_holds(tmp_path: Path) -> None:
    """A deal change and a repricing proposal in one deferring batch: the held deal is written
    before SPO reads the client's open deals, so it rejects as it would one message at a time."""
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    proposal = DecisionProposed(
        decision_id="reprice/C-1", proposer="cpi", action="raise_client_price", subject="client/C-1",
        parameters={"client_id": "C-1"}, rationale="margin", required_voters=["spo"], proposed_at=at,
        expires_at=at + timedelta(days=1),
    )  # fmt: skip
    async for spo in start_service(tmp_path / "spo.db", RunningService):
        with spo.session() as session:
            batch = Batch(deferring=True)
            config = WinConfig(STAGE_BASE_RATES, 20, 0)
            deal = env(win_deal(1, client_id="C-1", prospect_name=None), at)
            services.record_opportunity(
                UnitOfWork(session, deal, "spo", batch), opportunity_version(deal.data, at), config
            )
            vote = voting.vote(UnitOfWork(session, env(proposal, at, "agent.cpi"), "spo", batch), proposal)
    assert (vote.vote, "open" in vote.reason) == ("reject", True)
