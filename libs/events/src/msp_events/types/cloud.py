"""Facts from cloud billing (AWS Cost Explorer daily results / Cost and Usage Report lines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from msp_events.money import Money
from msp_events.registry import EventData, event


@event(
    "cloud.cost.recorded",
    owner="source",
    key="cost_line_id",
    consumers=("dsa",),
    fact_dates=("usage_date",),
)
class CloudCostRecorded(EventData):
    """One day of cloud cost for one account/service/region/usage-type combination.

    DSA attributes it to a department (cost-allocation tag), compares it with budget and runs
    anomaly detection (AWS-style impact = actual - expected). AWS restates recent days while a
    month is open, so a restated line is re-sent with the same cost_line_id and replaces it.
    """

    cost_line_id: str = Field(
        description="stable id of this line: CUR identity/LineItemId, or for Cost Explorer a hash of "
        "usage_date + account + service + region + usage_type + tag"
    )
    provider: Literal["aws", "azure", "gcp"] = Field(default="aws", description="cloud provider")
    usage_date: date = Field(description="day of usage (CE TimePeriod.Start, DAILY granularity)")
    linked_account_id: str = Field(description="member account (LINKED_ACCOUNT dimension)")
    linked_account_name: str | None = Field(default=None, description="account alias")
    service: str = Field(description="SERVICE dimension, e.g. 'Amazon Elastic Compute Cloud - Compute'")
    region: str | None = Field(default=None, description="REGION dimension, e.g. 'eu-west-1'")
    usage_type: str | None = Field(
        default=None, description="USAGE_TYPE dimension, e.g. 'EU-BoxUsage:m5.large'"
    )
    department: str | None = Field(
        default=None, description="department from the cost-allocation tag (e.g. CostCenter); None = untagged"
    )
    tags: dict[str, str] = Field(default_factory=dict, description="user cost-allocation tags on the line")
    usage_quantity: Decimal | None = Field(default=None, description="usage amount (CE UsageQuantity)")
    usage_unit: str | None = Field(default=None, description="unit of usage_quantity, e.g. 'Hrs', 'GB-Mo'")
    unblended_cost: Money = Field(description="UnblendedCost: cost as charged that day")
    amortized_cost: Money | None = Field(
        default=None, description="AmortizedCost: upfront RI/Savings Plan fees spread over the term"
    )
    client_id: str | None = Field(default=None, description="client the usage is resold to, if any")
