"""Pax8 subscriptions (Partner API ``GET /v1/subscriptions`` ``content``, or a CSV export) →
``licensing.subscription.upserted``: the distributor's bill, the "bought" side of SLI's check.

| Pax8 field (CSV alias) | field | rule |
|---|---|---|
| ``id`` (``subscription_id``) | subscription_id | required |
| ``companyId`` (``company_id``) | client_id | ``--set company_map=FILE.csv``, else ``pax8:<companyId>`` |
| company map ``tenant_id`` column | tenant_id | optional |
| ``vendorName`` (``vendor``) | vendor | ``--set vendor=NAME`` when the export has no vendor |
| (constant) | distributor | ``Pax8`` |
| ``productId`` (``product_id``) | product_id | required (the SKU map joins on it) |
| ``skuId``, else ``vendorSkuId`` (``sku_id``) | sku_id | ``--set sku_map=FILE.csv`` by productId wins |
| sku map ``sku_part_number``, else ``skuPartNumber`` | sku_part_number | optional |
| ``productName`` (``product_name``) | product_name | required |
| ``parentSubscriptionId`` | parent_subscription_id | optional (add-ons) |
| ``quantity`` | quantity | whole number ≥ 0 |
| ``partnerCost`` (``partner_cost``) | unit_cost | ≥ 0, per seat per month as Pax8 quotes it |
| ``price`` | unit_price | ≥ 0, the price for the customer |
| ``currencyCode`` (``currency``) | currency of both | ISO 4217; ``--currency`` when absent |
| ``billingTerm`` (``billing_term``) | billing_term | Monthly/Trial → monthly; Annual/2-Year/3-Year →
  annual; One-Time/Activation rejected |
| ``commitmentTerm.term`` (``commitment_term``) | commitment_term_months | Monthly 1, Annual 12, 2-Year 24,
  3-Year 36 |
| ``commitmentTerm.endDate`` (``commitment_end_date``) | commitment_end_date | optional |
| ``autoRenew`` (``auto_renew``) | auto_renew | optional (the API does not say) |
| ``startDate`` (``start_date``) | start_date | optional |
| ``status`` | status | Active/Converted/Activated/PendingCancel → active; Pending*/WaitingForDetails →
  pending; Trial → trial; Cancelled → cancelled |
| ``updatedDate``, else ``createdDate``, else ``startDate`` | updated_at | the time SLI orders versions by |

Client rule: Pax8 knows companies, the platform knows PSA clients. With ``--set company_map=FILE.csv``
(columns ``pax8_company_id,client_id`` and optionally ``tenant_id``) a company not in the map is a
rejected row, never a guess. Without a map the client id is ``pax8:<companyId>``: visibly not a PSA
id, stable across imports, and easy to re-key once a map exists.

SKU rule: Pax8's ``vendorSkuId`` is the vendor's catalogue id, which for Microsoft is not the
``skuId`` GUID Graph reports; ``--set sku_map=FILE.csv`` (columns ``product_id,sku_id`` and optionally
``sku_part_number``) supplies the Graph GUID so ``graph.subscribed-skus`` can join on it.

Event time: ``updated_at`` (the subscription's own last change, so re-imports keep their ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from msp_events.money import Money
from msp_events.types.licensing import SubscriptionUpserted

from msp_ingest.importer import Fact
from msp_ingest.licensing._common import parse_count, read_map, read_records
from msp_ingest.options import Options
from msp_ingest.rows import (
    FieldError,
    Row,
    optional_date,
    optional_datetime,
    parse_bool,
    parse_currency,
    parse_datetime,
    parse_decimal,
)

BillingTerm = Literal["monthly", "annual"]
Status = Literal["active", "pending", "trial", "suspended", "cancelled"]

BILLING_TERMS: dict[str, BillingTerm] = {
    "monthly": "monthly",
    "trial": "monthly",
    "annual": "annual",
    "2-year": "annual",
    "3-year": "annual",
}
NOT_RECURRING = {"one-time", "activation"}
COMMITMENT_MONTHS = {"monthly": 1, "1-month": 1, "annual": 12, "1-year": 12, "2-year": 24, "3-year": 36}
STATUSES: dict[str, Status] = {
    "active": "active",
    "converted": "active",
    "activated": "active",
    "pendingcancel": "active",
    "pendingmanual": "pending",
    "pendingautomated": "pending",
    "pendingactivation": "pending",
    "waitingfordetails": "pending",
    "trial": "trial",
    "suspended": "suspended",
    "cancelled": "cancelled",
}

ZERO = Decimal(0)


class Pax8Subscriptions:
    source = "licensing.pax8"

    def __init__(self, options: Options) -> None:
        self.options = options
        self._companies: dict[str, dict[str, str]] | None = None
        self._skus: dict[str, dict[str, str]] | None = None
        self._maps_read = False

    def _read_maps(self) -> None:
        if not self._maps_read:
            self._companies = read_map(self.options, "company_map", "pax8_company_id", ("client_id",))
            self._skus = read_map(self.options, "sku_map", "product_id", ("sku_id",))
            self._maps_read = True

    def rows(self, path: Path) -> Iterator[Row]:
        self._read_maps()  # a missing or malformed map is reported against the file
        return read_records(path)

    def _client(self, row: Row) -> tuple[str, str | None]:
        company = row.text("companyId", "company_id")
        if self._companies is None:
            return f"pax8:{company}", None
        entry = self._companies.get(company.lower())
        if entry is None or not entry.get("client_id"):
            raise FieldError(
                "companyId",
                f"Pax8 company {company!r} is not in the company map "
                f"{self.options.extra['company_map']}: add a pax8_company_id,client_id line for it",
            )
        return entry["client_id"], entry.get("tenant_id") or None

    def convert(self, row: Row) -> Iterator[Fact]:
        self._read_maps()
        subscription_id = row.text("id", "subscription_id", "subscriptionId")
        client_id, tenant_id = self._client(row)
        product_id = row.text("productId", "product_id")
        sku = (self._skus or {}).get(product_id.lower())
        if sku is not None:
            sku_id = sku["sku_id"]
            part_number = sku.get("sku_part_number") or row.optional_text("skuPartNumber", "sku_part_number")
        else:
            sku_id = row.get("skuId", "sku_id", "vendorSkuId", "vendor_sku_id")
            if sku_id is None:
                raise FieldError(
                    "vendorSkuId", "is missing: give skuId/vendorSkuId or map the productId in --set sku_map"
                )
            sku_id = str(sku_id)
            part_number = row.optional_text("skuPartNumber", "sku_part_number")
        vendor = row.optional_text("vendorName", "vendor") or self.options.extra.get("vendor")
        if not vendor:
            raise FieldError("vendorName", "is missing: give a vendorName column or --set vendor=NAME")
        raw_term = row.text("billingTerm", "billing_term")
        if raw_term.lower() in NOT_RECURRING:
            raise FieldError("billingTerm", f"{raw_term!r} is a one-time charge, not a seat subscription")
        billing_term = BILLING_TERMS.get(raw_term.lower())
        if billing_term is None:
            raise FieldError(
                "billingTerm", f"{raw_term!r} is not one of Monthly, Annual, 2-Year, 3-Year, Trial"
            )
        raw_commitment = row.optional_text("commitmentTerm.term", "commitment_term")
        commitment: int | None = None
        if raw_commitment is not None:
            commitment = COMMITMENT_MONTHS.get(raw_commitment.lower())
            if commitment is None:
                raise FieldError(
                    "commitmentTerm.term", f"{raw_commitment!r} is not one of Monthly, Annual, 2-Year, 3-Year"
                )
        raw_status = row.text("status")
        status = STATUSES.get(raw_status.lower().replace(" ", ""))
        if status is None:
            raise FieldError("status", f"{raw_status!r} is not a Pax8 subscription status")
        currency = parse_currency(row, "currencyCode", "currency", default=self.options.currency)
        updated_at = self._updated_at(row)
        subscription = SubscriptionUpserted(
            subscription_id=subscription_id,
            client_id=client_id,
            tenant_id=tenant_id,
            vendor=vendor,
            distributor="Pax8",
            product_id=product_id,
            sku_id=sku_id,
            sku_part_number=part_number,
            product_name=row.text("productName", "product_name"),
            parent_subscription_id=row.optional_text("parentSubscriptionId", "parent_subscription_id"),
            quantity=parse_count(row, "quantity"),
            unit_cost=Money(
                amount=parse_decimal(row, "partnerCost", "partner_cost", minimum=ZERO), currency=currency
            ),
            unit_price=Money(amount=parse_decimal(row, "price", minimum=ZERO), currency=currency),
            billing_term=billing_term,
            commitment_term_months=commitment,
            start_date=optional_date(row, "startDate", "start_date"),
            commitment_end_date=optional_date(row, "commitmentTerm.endDate", "commitment_end_date"),
            auto_renew=None
            if row.get("autoRenew", "auto_renew") is None
            else parse_bool(row, "autoRenew", "auto_renew"),
            status=status,
            updated_at=updated_at,
        )
        yield Fact(subscription, updated_at)

    @staticmethod
    def _updated_at(row: Row) -> datetime:
        for name, alias in (("updatedDate", "updated_date"), ("createdDate", "created_date")):
            value = optional_datetime(row, name, alias)
            if value is not None:
                return value
        if row.get("startDate", "start_date") is None:
            raise FieldError("updatedDate", "is missing, and so are createdDate and startDate")
        return parse_datetime(row, "startDate", "start_date")
