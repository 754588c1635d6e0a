"""The catalogue of the MSP's recurring spend: expense streams and AWS cost lines.

Kept apart from the generator so planting (``problems.py``) can pick anomaly targets without
importing the month machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from msp_sim.rng import cents


@dataclass(frozen=True, slots=True)
class ExpenseStream:
    """A recurring kind of spend: who buys what from whom, how often, and how much."""

    key: str
    department: str
    vendor: str
    category: str
    gl_account: str
    cadence: str  # "daily" (business days), "monthly"
    base: Decimal
    per_client: Decimal
    mcc: str | None
    method: str
    day_of_month: int = 1

    def baseline(self, clients: int) -> Decimal:
        return cents(self.base + self.per_client * clients)


EXPENSE_STREAMS = (
    ExpenseStream(
        "sd-rmm",
        "Service Delivery",
        "Datto",
        "Software",
        "6110",
        "monthly",
        Decimal("300"),
        Decimal("110"),
        None,
        "ap_invoice",
        3,
    ),
    ExpenseStream(
        "sd-psa",
        "Service Delivery",
        "ConnectWise",
        "Software",
        "6110",
        "monthly",
        Decimal("900"),
        Decimal("25"),
        None,
        "ap_invoice",
        5,
    ),
    ExpenseStream(
        "sd-edr",
        "Service Delivery",
        "SentinelOne",
        "Software",
        "6110",
        "monthly",
        Decimal("200"),
        Decimal("95"),
        None,
        "ap_invoice",
        7,
    ),
    ExpenseStream(
        "sd-parts",
        "Service Delivery",
        "Amazon Business",
        "Hardware",
        "5200",
        "daily",
        Decimal("25"),
        Decimal("2.2"),
        "5045",
        "card",
    ),
    ExpenseStream(
        "sd-fuel",
        "Service Delivery",
        "Shell",
        "Travel",
        "6420",
        "daily",
        Decimal("20"),
        Decimal("1.1"),
        "5541",
        "card",
    ),
    ExpenseStream(
        "sm-ads",
        "Sales & Marketing",
        "Google Ads",
        "Advertising",
        "6610",
        "daily",
        Decimal("40"),
        Decimal("1.5"),
        "7311",
        "card",
    ),
    ExpenseStream(
        "sm-crm",
        "Sales & Marketing",
        "HubSpot",
        "Software",
        "6110",
        "monthly",
        Decimal("800"),
        Decimal("5"),
        "5734",
        "card",
        12,
    ),
    ExpenseStream(
        "sm-meals",
        "Sales & Marketing",
        "Client Lunches",
        "Meals",
        "6430",
        "daily",
        Decimal("18"),
        Decimal("0.8"),
        "5812",
        "card",
    ),
    ExpenseStream(
        "fa-rent",
        "Finance & Admin",
        "Regus",
        "Rent",
        "6200",
        "monthly",
        Decimal("5200"),
        Decimal("60"),
        None,
        "bank_transfer",
        1,
    ),
    ExpenseStream(
        "fa-isp",
        "Finance & Admin",
        "Comcast Business",
        "Telecom",
        "6300",
        "monthly",
        Decimal("450"),
        Decimal("2"),
        None,
        "ap_invoice",
        15,
    ),
    ExpenseStream(
        "fa-office",
        "Finance & Admin",
        "Staples",
        "Office Supplies",
        "6500",
        "daily",
        Decimal("12"),
        Decimal("0.3"),
        "5943",
        "card",
    ),
    ExpenseStream(
        "fa-acct",
        "Finance & Admin",
        "QuickBooks Online",
        "Software",
        "6110",
        "monthly",
        Decimal("200"),
        Decimal("0"),
        "5734",
        "card",
        20,
    ),
    ExpenseStream(
        "pr-hw",
        "Projects",
        "CDW",
        "Hardware",
        "5200",
        "daily",
        Decimal("90"),
        Decimal("6"),
        "5045",
        "ap_invoice",
    ),
    ExpenseStream(
        "ex-travel",
        "Executive",
        "Delta Air Lines",
        "Travel",
        "6420",
        "daily",
        Decimal("30"),
        Decimal("0.9"),
        "3058",
        "card",
    ),
)


@dataclass(frozen=True, slots=True)
class CloudLine:
    key: str
    service: str
    usage_type: str
    usage_unit: str
    department: str
    base: Decimal
    per_client: Decimal
    weekend_factor: Decimal

    def baseline(self, clients: int) -> Decimal:
        return cents(self.base + self.per_client * clients)


CLOUD_ACCOUNT = ("210987654321", "msp-hosting-prod")
CLOUD_REGION = "us-east-2"
CLOUD_LINES = (
    CloudLine(
        "ec2",
        "Amazon Elastic Compute Cloud - Compute",
        "USE2-BoxUsage:m5.large",
        "Hrs",
        "Service Delivery",
        Decimal("40"),
        Decimal("2.0"),
        Decimal("0.85"),
    ),
    CloudLine(
        "s3",
        "Amazon Simple Storage Service",
        "USE2-TimedStorage-ByteHrs",
        "GB-Mo",
        "Service Delivery",
        Decimal("15"),
        Decimal("0.9"),
        Decimal("1"),
    ),
    CloudLine(
        "rds",
        "Amazon Relational Database Service",
        "USE2-InstanceUsage:db.t3.medium",
        "Hrs",
        "Projects",
        Decimal("25"),
        Decimal("0.6"),
        Decimal("1"),
    ),
    CloudLine(
        "cw",
        "AmazonCloudWatch",
        "USE2-CW:MetricMonitorUsage",
        "Metrics",
        "Service Delivery",
        Decimal("4"),
        Decimal("0.15"),
        Decimal("1"),
    ),
    CloudLine(
        "dt",
        "AWS Data Transfer",
        "USE2-DataTransfer-Out-Bytes",
        "GB",
        "Service Delivery",
        Decimal("6"),
        Decimal("0.3"),
        Decimal("0.7"),
    ),
    CloudLine(
        "backup",
        "AWS Backup",
        "USE2-WarmStorage-ByteHrs",
        "GB-Mo",
        "Service Delivery",
        Decimal("10"),
        Decimal("0.7"),
        Decimal("1"),
    ),
    CloudLine(
        "ws",
        "Amazon WorkSpaces",
        "USE2-AutoStop-Standard",
        "Hrs",
        "Sales & Marketing",
        Decimal("8"),
        Decimal("0.1"),
        Decimal("0.3"),
    ),
)
DEPARTMENTS = ("Service Delivery", "Sales & Marketing", "Finance & Admin", "Projects", "Executive")
