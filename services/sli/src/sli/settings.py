"""SLI's settings: the shared runtime settings under SLI's name (env vars, see ServiceSettings),
plus the licensing desk's rules (``SLI_INACTIVE_DAYS`` ... or constructor args)."""

from decimal import Decimal

from pydantic import Field

from msp_events.runtime.settings import ServiceSettings

FREE_SKUS = (
    "FLOW_FREE",
    "POWER_BI_STANDARD",
    "POWERAPPS_VIRAL",
    "POWERAPPS_DEV",
    "TEAMS_EXPLORATORY",
    "CCIBOTS_PRIVPREV_VIRAL",
    "WINDOWS_STORE",
    "STREAM",
    "RIGHTSMANAGEMENT_ADHOC",
    "MICROSOFT_BUSINESS_CENTER",
)
"""Microsoft's free, self-service and trial SKUs (unlimited: a tenant shows 10,000 or 1,000,000
prepaid units for them); they are neither bought through the distributor nor billed."""


class Settings(ServiceSettings):
    service_name: str = "sli"
    inactive_days: int = Field(
        default=60, ge=1, alias="SLI_INACTIVE_DAYS", description="no sign-in for this many days: unused seat"
    )
    inactive_days_by_product: dict[str, int] = Field(
        default_factory=dict,
        alias="SLI_INACTIVE_DAYS_BY_PRODUCT",
        description='per-product windows, JSON keyed by SKU part number or SKU id, e.g. {"SPE_E5": 90}',
    )
    grace_days: int = Field(
        default=60,
        ge=0,
        alias="SLI_GRACE_DAYS",
        description="a seat provisioned fewer days ago is never called unused",
    )
    renewal_buffer_pct: Decimal = Field(
        default=Decimal(10),
        ge=0,
        alias="SLI_RENEWAL_BUFFER_PCT",
        description="renewal right-sizing: engaged users x (1 + buffer)",
    )
    min_seats: int = Field(
        default=1, ge=1, alias="SLI_MIN_SEATS", description="materiality: fewer seats are not published"
    )
    min_monthly: Decimal = Field(
        default=Decimal(0),
        ge=0,
        alias="SLI_MIN_MONTHLY",
        description="materiality: a finding worth less per month (known money) is not published",
    )
    unlimited_skus: tuple[str, ...] = Field(
        default=FREE_SKUS,
        alias="SLI_UNLIMITED_SKUS",
        description="SKU part numbers or ids with no seat ceiling (free, viral, site licences)",
    )
    unlimited_from: int = Field(
        default=10_000,
        ge=1,
        alias="SLI_UNLIMITED_FROM",
        description="a subscription of at least this many seats is treated as unlimited",
    )
    software_skus: dict[str, str] = Field(
        default_factory=dict,
        alias="SLI_SOFTWARE_SKUS",
        description='installed application name -> SKU part number it needs, JSON, e.g. {"Adobe Acrobat '
        'DC": "ACROBAT_PRO"}; an application named exactly as a subscribed product matches it too',
    )
