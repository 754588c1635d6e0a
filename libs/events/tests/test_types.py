"""Every registered event type: a realistic example builds, survives the wire unchanged, and the
registry entry (key, owner, consumers, documentation) is sound."""

from __future__ import annotations

import base64
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError

from msp_events import REGISTRY, EventData, EventSpec, Money
from msp_events.registry import OWNERS, SERVICES
from msp_events.types import (
    agents,
    billing,
    cloud,
    common,
    consensus,
    contracts,
    crm,
    dispatch,
    finance,
    licensing,
    platform,
    psa,
    rmm,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


EXAMPLES: dict[str, EventData] = {
    "clock.ticked": platform.ClockTicked(now=NOW),
    "psa.client.upserted": psa.ClientUpserted(
        client_id="C-1001",
        name="Contoso Dental Group",
        status="active",
        tier="Pro",
        industry="Healthcare",
        employee_count=42,
        address_line1="100 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        country="US",
        latitude=39.7817,
        longitude=-89.6501,
        sites=[
            psa.Site(
                site_id="S-1",
                name="Head office",
                address_line1="100 Main St",
                city="Springfield",
                postal_code="62701",
                country="US",
                latitude=39.7817,
                longitude=-89.6501,
                primary=True,
            ),
            psa.Site(site_id="S-2", name="Clinic East", latitude=39.80, longitude=-89.60),
        ],
        account_manager_id="M-7",
        account_manager_name="Dana Reyes",
        currency="USD",
        created_on=date(2021, 6, 1),
        updated_at=NOW,
    ),
    "psa.agreement.upserted": psa.AgreementUpserted(
        agreement_id="A-501",
        client_id="C-1001",
        name="Managed Services - Pro",
        agreement_type="managed_services",
        start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31),
        billing_cycle="monthly",
        bill_amount=usd("6300.00"),
        included_hours=Decimal("40"),
        hourly_rate=usd("150.00"),
        overage_rate=usd("135.00"),
        covers_labour=True,
        auto_renew=True,
        renewal_term_months=12,
        notice_period_days=90,
        additions=[
            psa.Addition(
                addition_id="AD-1",
                product_id="M365-BP",
                description="Microsoft 365 Business Premium",
                quantity=Decimal("42"),
                unit_price=usd("26.40"),
                unit_cost=usd("22.00"),
                vendor_sku="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
                effective_date=date(2024, 1, 1),
            ),
            psa.Addition(
                product_id="BACKUP-SRV",
                description="Server backup",
                quantity=Decimal("2"),
                unit_price=usd("85.00"),
                unit_cost=usd("31.50"),
                cancelled_date=date(2025, 2, 28),
                bill_customer="do_not_bill",
            ),
        ],
        updated_at=NOW,
    ),
    "psa.technician.upserted": psa.TechnicianUpserted(
        technician_id="T-12",
        name="Sam Okafor",
        email="sam@msp.example",
        work_role="Engineer L2",
        skills=[
            psa.Skill(name="networking", level=4),
            psa.Skill(name="azure", level=3, expires_on=date(2026, 5, 1)),
        ],
        time_zone="America/Chicago",
        home_latitude=39.75,
        home_longitude=-89.70,
        daily_capacity_hours=Decimal("8"),
        weekly_billable_hours_target=Decimal("30"),
        cost_rates=[
            psa.CostRate(
                effective_from=date(2024, 1, 1), effective_to=date(2024, 12, 31), hourly_cost=usd("48.00")
            ),
            psa.CostRate(effective_from=date(2025, 1, 1), hourly_cost=usd("51.50")),
        ],
        hourly_rate=usd("150.00"),
        updated_at=NOW,
    ),
    "psa.ticket.updated": psa.TicketUpdated(
        ticket_id="TK-88231",
        client_id="C-1001",
        agreement_id="A-501",
        summary="Firewall dropping VPN tunnels",
        board="Service Desk",
        priority="p2",
        status="in_progress",
        ticket_type="incident",
        opened_at=NOW - timedelta(hours=3),
        responded_at=NOW - timedelta(hours=2, minutes=40),
        respond_by=NOW - timedelta(hours=2),
        fix_by=NOW + timedelta(hours=9),
        estimated_hours=Decimal("2.5"),
        actual_hours=Decimal("1.25"),
        required_skill="networking",
        site_id="S-1",
        assigned_technician_id="T-12",
        product_vendor="Fortinet",
        updated_at=NOW,
    ),
    "psa.time_entry.logged": psa.TimeEntryLogged(
        time_entry_id="TE-55102",
        client_id="C-1001",
        technician_id="T-12",
        agreement_id="A-501",
        ticket_id="TK-88231",
        work_date=date(2025, 3, 14),
        time_start=NOW - timedelta(hours=2),
        time_end=NOW - timedelta(minutes=45),
        hours=Decimal("1.25"),
        work_type="Remote Support",
        work_role="Engineer L2",
        billable_option="no_charge",
        hours_billed=Decimal("0"),
        notes="Re-keyed IPsec phase 2; monitoring.",
    ),
    "billing.invoice.issued": billing.InvoiceIssued(
        invoice_id="INV-2025-0311",
        invoice_number="10311",
        client_id="C-1001",
        invoice_date=date(2025, 3, 1),
        due_date=date(2025, 3, 31),
        currency="USD",
        lines=[
            billing.InvoiceLine(
                line_type="agreement_fee",
                agreement_id="A-501",
                description="Managed Services - Pro, March 2025",
                quantity=Decimal("1"),
                unit_price=usd("6300.00"),
                amount=usd("6300.00"),
                period_start=date(2025, 3, 1),
                period_end=date(2025, 3, 31),
            ),
            billing.InvoiceLine(
                line_type="licence",
                agreement_id="A-501",
                product_id="M365-BP",
                vendor_sku="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
                description="Microsoft 365 Business Premium",
                quantity=Decimal("42"),
                unit_price=usd("26.40"),
                unit_cost=usd("22.00"),
                amount=usd("1108.80"),
            ),
        ],
        tax=usd("0.00"),
        total=usd("7408.80"),
        issued_at=NOW,
    ),
    "billing.payment.received": billing.PaymentReceived(
        payment_id="PAY-9921",
        invoice_id="INV-2025-0311",
        client_id="C-1001",
        received_on=date(2025, 3, 28),
        amount=usd("7408.80"),
        method="ach",
    ),
    "crm.opportunity.upserted": crm.OpportunityUpserted(
        opportunity_id="OP-310",
        name="Northwind Legal - Managed Services",
        prospect_name="Northwind Legal LLP",
        stage="proposed",
        status="open",
        probability=Decimal("50"),
        expected_close_date=date(2025, 4, 30),
        source="Referral",
        rating="warm",
        opportunity_type="new_business",
        primary_sales_rep="M-3",
        estimated_recurring_monthly=usd("3500.00"),
        recurring_term_months=36,
        estimated_recurring_monthly_cost=usd("1900.00"),
        estimated_one_time=usd("4200.00"),
        created_on=date(2025, 2, 3),
        pipeline_change_date=date(2025, 3, 10),
        last_activity_at=NOW - timedelta(days=4),
        next_action_due=date(2025, 3, 18),
        updated_at=NOW,
    ),
    "licensing.subscription.upserted": licensing.SubscriptionUpserted(
        subscription_id="PX8-SUB-77f2",
        client_id="C-1001",
        tenant_id="4b1a0c55-6f55-4b8e-9a5e-0e2b4c1d2f3a",
        vendor="Microsoft",
        distributor="Pax8",
        product_id="PX8-PROD-9b3e",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        sku_part_number="SPB",
        product_name="Microsoft 365 Business Premium",
        quantity=45,
        consumed_units=42,
        unit_cost=usd("22.00"),
        unit_price=usd("26.40"),
        billing_term="monthly",
        commitment_term_months=12,
        start_date=date(2024, 7, 1),
        commitment_end_date=date(2025, 6, 30),
        auto_renew=True,
        status="active",
        capability_status="enabled",
        updated_at=NOW,
    ),
    "licensing.seat.activity": licensing.SeatActivity(
        user_id="a2f0d4c7-1e3b-4f6a-8c9d-0b1e2f3a4b5c",
        client_id="C-1001",
        tenant_id="4b1a0c55-6f55-4b8e-9a5e-0e2b4c1d2f3a",
        user_principal_name="jane@contosodental.com",
        display_name="Jane Park",
        department="Front Desk",
        user_type="member",
        account_enabled=True,
        assigned_licences=[
            licensing.AssignedLicence(sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", sku_part_number="SPB")
        ],
        last_sign_in_at=NOW - timedelta(days=73),
        observed_at=NOW,
    ),
    "rmm.software.inventoried": rmm.SoftwareInventoried(
        device_id="DEV-4411",
        client_id="C-1001",
        hostname="CDG-FD-PC03",
        device_type="workstation",
        os_name="Windows 11 Pro 23H2",
        last_logged_in_user="jane@contosodental.com",
        software=[
            rmm.InstalledSoftware(
                name="Adobe Acrobat DC",
                publisher="Adobe Inc.",
                version="24.1.20604",
                installed_on=date(2024, 2, 9),
            ),
            rmm.InstalledSoftware(name="Microsoft 365 Apps for business", publisher="Microsoft Corporation"),
        ],
        observed_at=NOW,
    ),
    "finance.expense.recorded": finance.ExpenseRecorded(
        expense_id="EXP-20250312-014",
        expense_date=date(2025, 3, 12),
        department="Service Delivery",
        cost_center="CC-200",
        vendor="Zoom Video Communications",
        category="Software",
        gl_account="6410",
        amount=usd("149.90"),
        memo="Zoom Pro annual - 1 seat",
        submitted_by="dana@msp.example",
        payment_method="card",
        merchant_category_code="5734",
    ),
    "finance.budget.set": finance.BudgetSet(
        budget_id="BUD-2025Q2-SD-SW",
        department="Service Delivery",
        category="Software",
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        planned=usd("18000.00"),
        alert_threshold_pct=Decimal("80"),
    ),
    "cloud.cost.recorded": cloud.CloudCostRecorded(
        cost_line_id="ce:2025-03-13:123456789012:AmazonEC2:eu-west-1:EU-BoxUsage:m5.large",
        usage_date=date(2025, 3, 13),
        linked_account_id="123456789012",
        linked_account_name="msp-prod",
        service="Amazon Elastic Compute Cloud - Compute",
        region="eu-west-1",
        usage_type="EU-BoxUsage:m5.large",
        department="Service Delivery",
        tags={"CostCenter": "CC-200"},
        usage_quantity=Decimal("48"),
        usage_unit="Hrs",
        unblended_cost=usd("4.608"),
        amortized_cost=usd("3.9168"),
    ),
    "dispatch.visit.requested": dispatch.VisitRequested(
        visit_id="V-7781",
        client_id="C-1001",
        ticket_id="TK-88231",
        agreement_id="A-501",
        site_id="S-2",
        site_name="Clinic East",
        address="2200 East Ave, Springfield IL",
        latitude=39.80,
        longitude=-89.60,
        window_start=datetime(2025, 3, 17, 13, 0, tzinfo=UTC),
        window_end=datetime(2025, 3, 17, 21, 0, tzinfo=UTC),
        duration_minutes=90,
        required_skill="networking",
        priority="p3",
    ),
    "vcm.contract.document.received": contracts.ContractDocumentReceived(
        document_id="DOC-5521",
        document_kind="contract",
        vendor_name="Fortinet",
        file_name="Fortinet-FortiCare-2025.pdf",
        media_type="application/pdf",
        content_base64=base64.b64encode(b"%PDF-1.7 minimal").decode(),
        received_at=NOW,
        uploaded_by="contracts@msp.example",
    ),
    "client.profitability.changed": agents.ClientProfitabilityChanged(
        client_id="C-1001",
        period="2025-02",
        gross_margin_pct=Decimal("18.4"),
        previous_gross_margin_pct=Decimal("41.2"),
        target_gross_margin_pct=Decimal("50"),
        band="critical",
        previous_band="healthy",
        direction="down",
        revenue=usd("7408.80"),
        cost=usd("6045.58"),
        labour_hours=Decimal("92.5"),
        effective_hourly_rate=usd("70.10"),
        drivers=[
            agents.MarginDriver(line="labour_cost", change=usd("-1520.00"), detail="+31 h on P1/P2 tickets"),
            agents.MarginDriver(line="licence_cost", change=usd("-66.00"), detail="3 extra seats unbilled"),
        ],
        problem_client=False,
        summary="Margin fell from 41.2 % to 18.4 %: 31 extra hours of firewall incidents.",
    ),
    "client.churn.risk.changed": agents.ClientChurnRiskChanged(
        client_id="C-1001",
        as_of=date(2025, 2, 28),
        probability=Decimal("0.31"),
        band="high",
        previous_band="medium",
        method="model",
        horizon_months=3,
        signals=[
            agents.ChurnSignal(signal="notice_given", value=Decimal("1"), contribution=Decimal("1.92")),
            agents.ChurnSignal(signal="sla_breach_rate", value=Decimal("0.34"), contribution=Decimal("0.71")),
            agents.ChurnSignal(signal="days_late", value=Decimal("24.5"), contribution=Decimal("0.38")),
        ],
        model_trained_at=datetime(2025, 3, 1, tzinfo=UTC),
        training_rows=5120,
        summary="Churn risk rose from medium to high (31 %): notice given, 34 % of tickets missed SLA.",
    ),
    "sales.opportunity.identified": agents.SalesOpportunityIdentified(
        suggestion_id="SUG-C-1001-true-up-SPB",
        client_id="C-1001",
        kind="licence_true_up",
        title="Bill 3 unbilled Business Premium seats",
        estimated_recurring_monthly=usd("79.20"),
        estimated_margin_pct=Decimal("16.7"),
        win_probability_pct=Decimal("80"),
        agreement_id="A-501",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        act_by=date(2025, 6, 30),
        summary="45 seats bought and assigned, 42 billed; existing clients accept most true-ups.",
    ),
    "resource.utilization.alert": agents.ResourceUtilizationAlert(
        technician_id="T-12",
        period_start=date(2025, 3, 3),
        period_end=date(2025, 3, 9),
        basis="actual",
        kind="over",
        utilisation_pct=Decimal("93.75"),
        target_pct=Decimal("75"),
        threshold_pct=Decimal("85"),
        billable_hours=Decimal("37.5"),
        available_hours=Decimal("40"),
        client_hours=[agents.ClientHours(client_id="C-1001", hours=Decimal("21"))],
        summary="Sam billed 37.5 of 40 available hours, over the 85 % burnout line.",
    ),
    "resource.assignment.made": agents.ResourceAssignmentMade(
        work_id="TK-88412",
        kind="ticket",
        client_id="C-1001",
        technician_id="T-31",
        revision=2,
        previous_technician_id="T-12",
        hours=Decimal("6"),
        required_skill="intune",
        labour_cost=usd("270.00"),
        sla_slack_hours=Decimal("18.5"),
        reason="TK-88412 -> T-31: holds the required skills; 6 h cost 270.00 USD, covered by the "
        "agreement; 18.5 h of SLA slack.",
    ),
    "resource.allocation.recommended": agents.ResourceAllocationRecommended(
        client_id="C-1001",
        period="2025-02",
        gross_margin_pct=Decimal("18.4"),
        monthly_saving=usd("540.00"),
        moves=[
            agents.AllocationMove(
                work_id="TK-88412",
                kind="ticket",
                from_technician_id="T-12",
                to_technician_id="T-31",
                hours=Decimal("6"),
                monthly_saving=usd("540.00"),
                reason="T-31 holds the Intune skill at 45 an hour loaded against T-12's 135.",
            )
        ],
        summary="C-1001's margin fell to 18.4 %: one Intune ticket to a cheaper qualified technician.",
    ),
    "sales.proposal.generated": agents.SalesProposalGenerated(
        proposal_id="PR-C-1001-licence_true_up",
        suggestion_id="SG-C-1001-licence_true_up",
        client_id="C-1001",
        kind="licence_true_up",
        title="Microsoft 365 Business Premium: bill the 3 seats in use",
        lines=[
            agents.ProposalLine(
                description="Microsoft 365 Business Premium seats",
                billing="recurring_monthly",
                quantity=Decimal("3"),
                unit_price=usd("22.00"),
                discount_pct=Decimal("0"),
                total=usd("66.00"),
            ),
            agents.ProposalLine(
                description="Licence review and onboarding",
                billing="one_time",
                quantity=Decimal("1"),
                unit_price=usd("150.00"),
                discount_pct=Decimal("10"),
                total=usd("135.00"),
            ),
        ],
        recurring_monthly_total=usd("66.00"),
        one_time_total=usd("135.00"),
        tax_pct=Decimal("10"),
        recurring_monthly_tax=usd("6.60"),
        one_time_tax=usd("13.50"),
        licence_check="issues",
        licence_check_summary="10 bought, 10 assigned, 7 billed: bill the 3 seats before adding more.",
        act_by=date(2025, 4, 1),
        summary="3 Business Premium seats are assigned but not billed: 66.00 USD a month.",
    ),
    "license.compliance.violation": agents.LicenseComplianceViolation(
        violation_id="LV-C-1001-SPB-unbilled",
        client_id="C-1001",
        kind="unbilled_seats",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        sku_part_number="SPB",
        product_name="Microsoft 365 Business Premium",
        subscription_id="PX8-SUB-77f2",
        agreement_id="A-501",
        seats_purchased=45,
        seats_assigned=45,
        seats_active=41,
        seats_billed=42,
        seats_affected=3,
        monthly_exposure=usd("79.20"),
        commitment_end_date=date(2025, 6, 30),
        recommended_action="bill_client",
        summary="3 Business Premium seats are assigned but not billed: $79.20 a month.",
        status="open",
        finding_class="under_billed",
        exposure_known=True,
        exposure_nature="leakage",
        action_text="add 3 seats of Microsoft 365 Business Premium to agreement A-501 "
        "(bills 42, should bill 45)",
        inactive_users=[],
    ),
    "license.compliance.checked": agents.LicenseComplianceChecked(
        check_id="6f0c2d7e-2a41-5b8e-9d3c-1e7a4b5c6d70",
        client_id="C-1001",
        suggestion_id="SPO-C-1001-SPB-true-up",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        status="issues",
        seats_purchased=45,
        seats_assigned=45,
        seats_available=0,
        findings=[
            agents.CheckedFinding(
                violation_id="LV-C-1001-SPB-unbilled",
                kind="unbilled_seats",
                sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
                seats_affected=3,
                action_text="add 3 seats of Microsoft 365 Business Premium to agreement A-501",
            )
        ],
        summary="C-1001 SKU cbdc14ab: 45 bought, 45 assigned, 0 available; 1 open findings, "
        "fix before quoting",
    ),
    "spend.anomaly.detected": agents.SpendAnomalyDetected(
        anomaly_id="AN-SD-EC2-20250313",
        department="Service Delivery",
        spend_source="cloud",
        vendor="Amazon Web Services",
        shape="spike",
        period_start=date(2025, 3, 12),
        period_end=date(2025, 3, 13),
        expected=usd("140.00"),
        actual=usd("412.00"),
        impact=usd("272.00"),
        impact_pct=Decimal("194.29"),
        score=Decimal("0.93"),
        root_causes=[
            agents.RootCause(dimension="usage_type", value="EU-BoxUsage:m5.4xlarge", impact=usd("250.00"))
        ],
        budget_id="BUD-2025Q1-SD-CLOUD",
        summary="EC2 spend tripled on 12-13 March, driven by m5.4xlarge in eu-west-1.",
    ),
    "spend.vendor.analyzed": agents.SpendVendorAnalyzed(
        contract_id="VC-44",
        vendor="Fortinet",
        department="Service Delivery",
        window_start=date(2024, 3, 1),
        window_end=date(2025, 2, 28),
        spend_12m=usd("13200.00"),
        monthly_spend=[usd("1000.00")] * 9 + [usd("1400.00")] * 3,
        trend_pct_per_month=Decimal("2.41"),
        price_change_pct=Decimal("40.00"),
        share_of_budget_pct=Decimal("8.80"),
        anomalies=1,
        forecast_next_term=usd("17472.00"),
        annual_value=usd("12000.00"),
        recommendation="renegotiate",
        reasons=["the last 3 months cost 40.00 % more than the first 3"],
        summary="Fortinet: 13200 USD in 12 months against 12000 a year on contract; renegotiate.",
    ),
    "contract.renewal.due": agents.ContractRenewalDue(
        contract_id="VC-44",
        vendor="Fortinet",
        contract_name="FortiCare 24x7 - 30 units",
        department="Service Delivery",
        client_id="C-1001",
        client_agreement_id="A-501",
        renewal_date=date(2025, 7, 1),
        notice_deadline=date(2025, 4, 2),
        days_to_notice_deadline=19,
        auto_renew=True,
        renewal_term_months=36,
        annual_value=usd("12600.00"),
        expected_uplift_pct=Decimal("8"),
        outlives_client_agreement=True,
        recommendation="renegotiate",
        summary="FortiCare renews for 36 months unless notice by 2 April; it would outlive agreement A-501.",
    ),
    "contract.terms.extracted": contracts.ContractTermsExtracted(
        contract_id="VC-3f9a1c0e2b7d",
        document_id="0b6f5a4e-9a51-4a47-9f1e-2f6b1d3c8e10",
        vendor_name="Fortinet",
        read_status="ok",
        parties=["Fortinet, Inc.", "Northwind Managed Services LLC"],
        agreement_date=date(2024, 6, 20),
        effective_date=date(2024, 7, 1),
        expiration_date=date(2025, 6, 30),
        auto_renew=True,
        renewal_term_months=12,
        notice_period_value=90,
        notice_period_unit="days",
        notice_deadline=date(2025, 4, 1),
        governing_law="California",
        termination_for_convenience=False,
        annual_value=usd("12600.00"),
        needs_review=["parties"],
    ),
    "decision.proposed": consensus.DecisionProposed(
        decision_id="D-5f2c",
        proposer="sli",
        action="reduce_licence_seats",
        subject="client/C-1001",
        parameters={"sku_id": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "seats": "4"},
        estimated_monthly_impact=usd("88.00"),
        rationale="4 Business Premium seats had no sign-in for 60 days; commitment ends 30 June.",
        evidence_event_ids=["8d7f6e5a-0000-4000-8000-000000000001"],
        required_voters=["cpi", "spo"],
        proposed_at=NOW,
        expires_at=NOW + timedelta(days=2),
    ),
    "decision.vote.cast": consensus.DecisionVoteCast(
        decision_id="D-5f2c",
        voter="spo",
        vote="reject",
        reason="Open quote Q-77 adds 6 seats for the new clinic.",
        cast_at=NOW + timedelta(hours=1),
    ),
    "decision.reached": consensus.DecisionReached(
        decision_id="D-5f2c",
        proposer="sli",
        action="reduce_licence_seats",
        subject="client/C-1001",
        outcome="rejected",
        approvals=1,
        rejections=1,
        abstentions=0,
        ballots=[
            consensus.Ballot(voter="cpi", vote="approve", reason="Saves $88/month of cost."),
            consensus.Ballot(voter="spo", vote="reject", reason="Open quote Q-77 adds 6 seats."),
        ],
        decided_at=NOW + timedelta(hours=1),
    ),
}

SPECS = list(REGISTRY)


def _ids(spec: EventSpec) -> str:
    return spec.type


def _model(spec: EventSpec) -> type[EventData]:
    return typing.cast("type[EventData]", spec.model)


def _example(spec: EventSpec) -> EventData:
    assert spec.type in EXAMPLES, f"add a realistic example of {spec.type} to EXAMPLES in test_types.py"
    return EXAMPLES[spec.type]


def _walk_models(
    model: type[BaseModel], seen: set[type[BaseModel]] | None = None
) -> Iterator[type[BaseModel]]:
    """The model and every BaseModel reachable through its field annotations (Money excluded)."""
    seen = set() if seen is None else seen
    if model in seen or model is Money:
        return
    seen.add(model)
    yield model
    for field in model.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _walk_models(arg, seen)


def _flatten(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _flatten(arg)


def _is_aware_datetime(annotation: Any) -> bool:
    return any(a is AwareDatetime for a in _flatten(annotation))


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_example_round_trips_unchanged(spec: EventSpec) -> None:
    data = _example(spec)
    assert isinstance(data, spec.model)
    wire = data.model_dump_json()
    back = _model(spec).model_validate_json(wire)
    assert back == data
    assert back.model_dump_json() == wire


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_registry_entry_is_sound(spec: EventSpec) -> None:
    assert spec.key in _model(spec).model_fields
    key = spec.key_of(_example(spec))
    assert key and key != "None", f"{spec.type}: the key field {spec.key!r} is empty in the example"
    assert spec.subject_of(_example(spec)).endswith(f"/{key}")
    assert spec.owner in OWNERS
    # Every type is meant for someone: a service that handles it now, or one whose handler is planned.
    assert spec.audience, f"{spec.type} has no consumers, not even planned ones"
    assert set(spec.audience) <= set(SERVICES)
    assert len(set(spec.audience)) == len(spec.audience)
    assert spec.owner not in spec.audience, f"{spec.type}: an agent does not consume its own output"
    assert (_model(spec).__doc__ or "").strip()


def test_owners_follow_the_convention() -> None:
    agent_outputs = {
        "client.profitability.changed": "cpi",
        "client.churn.risk.changed": "cpi",
        "sales.opportunity.identified": "spo",
        "resource.utilization.alert": "ram",
        "resource.allocation.recommended": "ram",
        "resource.assignment.made": "ram",
        "sales.proposal.generated": "spo",
        "license.compliance.violation": "sli",
        "license.compliance.checked": "sli",
        "spend.anomaly.detected": "dsa",
        "spend.vendor.analyzed": "dsa",
        "contract.renewal.due": "vcm",
        "contract.terms.extracted": "vcm",
    }
    for spec in REGISTRY:
        if spec.type in agent_outputs:
            assert spec.owner == agent_outputs[spec.type], spec.type
        elif spec.type.startswith("decision."):
            assert spec.owner == "agents", spec.type
            assert sorted(spec.audience) == sorted(SERVICES)
        elif spec.type != "clock.ticked":
            assert spec.owner == "source", spec.type


def test_every_service_consumes_something() -> None:
    for service in SERVICES:
        assert REGISTRY.consumed_by(service), f"{service} consumes nothing"


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_every_field_is_documented(spec: EventSpec) -> None:
    for model in _walk_models(spec.model):
        assert (model.__doc__ or "").strip(), f"{model.__name__} needs a docstring"
        for name, field in model.model_fields.items():
            assert field.description, f"{spec.type}: {model.__name__}.{name} has no description"


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_no_float_except_coordinates(spec: EventSpec) -> None:
    """Amounts, rates and hours are Decimal or Money; only latitude/longitude may be float."""
    for model in _walk_models(spec.model):
        for name, field in model.model_fields.items():
            if float in set(_flatten(field.annotation)):
                assert "latitude" in name or "longitude" in name, f"{model.__name__}.{name} is a float"


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_json_schema_is_generated(spec: EventSpec) -> None:
    schema = _model(spec).model_json_schema()
    assert spec.key in schema["properties"]


def _first_money_path(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return path
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for k, v in items:
        found = _first_money_path(v, (*path, k))
        if found is not None:
            return found
    return None


MONEY_SPECS = [
    s for s in SPECS if s.type in EXAMPLES and _first_money_path(EXAMPLES[s.type].model_dump(mode="json"))
]


@pytest.mark.parametrize("spec", MONEY_SPECS, ids=_ids)
def test_unknown_currency_is_rejected_with_a_clear_message(spec: EventSpec) -> None:
    raw = _example(spec).model_dump(mode="json")
    path = _first_money_path(raw)
    assert path is not None
    target = raw
    for step in path:
        target = target[step]
    target["currency"] = "XXX"
    with pytest.raises(ValidationError) as info:
        _model(spec).model_validate(raw)
    assert "unknown currency code 'XXX'" in str(info.value)
    assert "ISO 4217" in str(info.value)


def test_most_types_carry_money() -> None:
    assert len(MONEY_SPECS) >= 15


AWARE_FIELDS = [
    (spec, name)
    for spec in SPECS
    for name, field in _model(spec).model_fields.items()
    if _is_aware_datetime(field.annotation)
]


@pytest.mark.parametrize(("spec", "field_name"), AWARE_FIELDS, ids=[f"{s.type}.{n}" for s, n in AWARE_FIELDS])
def test_naive_datetime_is_rejected(spec: EventSpec, field_name: str) -> None:
    raw = _example(spec).model_dump(mode="python")
    raw[field_name] = datetime(2025, 3, 14, 9, 30)  # no tzinfo
    with pytest.raises(ValidationError) as info:
        _model(spec).model_validate(raw)
    assert "timezone" in str(info.value).lower()


def test_service_name_literal_matches_services() -> None:
    assert typing.get_args(common.ServiceName) == SERVICES


def test_money_serialises_as_decimal_string_not_float() -> None:
    wire = EXAMPLES["billing.payment.received"].model_dump_json()
    assert '"amount":"7408.80"' in wire


# --- payload rules ------------------------------------------------------------------------------


def _with(type_name: str, **changes: Any) -> dict[str, Any]:
    raw = EXAMPLES[type_name].model_dump(mode="python")
    raw.update(changes)
    return raw


def test_invoice_amounts_must_be_in_the_invoice_currency() -> None:
    raw = _with("billing.invoice.issued", total=Money(amount=Decimal("7408.80"), currency="EUR"))
    with pytest.raises(ValidationError, match="invoice in USD has amounts in"):
        billing.InvoiceIssued.model_validate(raw)


def test_agreement_amounts_share_one_currency() -> None:
    raw = _with("psa.agreement.upserted", overage_rate=Money(amount=Decimal("120"), currency="GBP"))
    with pytest.raises(ValidationError, match="one currency"):
        psa.AgreementUpserted.model_validate(raw)


def test_visit_window_must_be_ordered() -> None:
    raw = _with("dispatch.visit.requested", window_end=datetime(2025, 3, 17, 12, 0, tzinfo=UTC))
    with pytest.raises(ValidationError, match="window_end must be after window_start"):
        dispatch.VisitRequested.model_validate(raw)


def test_contract_document_needs_exactly_one_content() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        contracts.ContractDocumentReceived.model_validate(
            _with("vcm.contract.document.received", text="hello")
        )
    with pytest.raises(ValidationError, match="only for text/plain"):
        contracts.ContractDocumentReceived.model_validate(
            _with("vcm.contract.document.received", content_base64=None, text="hello")
        )
    with pytest.raises(ValidationError, match="not valid base64"):
        contracts.ContractDocumentReceived.model_validate(
            _with("vcm.contract.document.received", content_base64="not base64!")
        )
    plain = contracts.ContractDocumentReceived.model_validate(
        _with("vcm.contract.document.received", media_type="text/plain", content_base64=None, text="MSA ...")
    )
    assert plain.text == "MSA ..."


def test_opportunity_needs_a_client_or_a_prospect() -> None:
    with pytest.raises(ValidationError, match="client_id or prospect_name"):
        crm.OpportunityUpserted.model_validate(_with("crm.opportunity.upserted", prospect_name=None))


def test_decision_tally_must_match_ballots() -> None:
    with pytest.raises(ValidationError, match="tally"):
        consensus.DecisionReached.model_validate(_with("decision.reached", approvals=2))
    expired = consensus.DecisionReached.model_validate(
        _with("decision.reached", outcome="expired", abstentions=1, missing_voters=["ram"])
    )
    assert expired.abstentions == 1


def test_unknown_voter_and_bad_period_are_rejected() -> None:
    with pytest.raises(ValidationError):
        consensus.DecisionVoteCast.model_validate(_with("decision.vote.cast", voter="crm"))
    with pytest.raises(ValidationError):
        agents.ClientProfitabilityChanged.model_validate(
            _with("client.profitability.changed", period="2025-13")
        )


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = _with("psa.time_entry.logged", field_from_a_later_minor="x")
    assert psa.TimeEntryLogged.model_validate(raw) == EXAMPLES["psa.time_entry.logged"]


def test_payloads_are_frozen() -> None:
    client = EXAMPLES["psa.client.upserted"]
    assert isinstance(client, psa.ClientUpserted)
    with pytest.raises(ValidationError):
        client.client_id = "C-2"  # type: ignore[misc]


def test_examples_cover_only_registered_types() -> None:
    assert set(EXAMPLES) <= {s.type for s in REGISTRY}
