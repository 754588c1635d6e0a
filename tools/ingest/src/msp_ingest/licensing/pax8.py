"""Pax8 subscriptions (Partner API ``GET /v1/subscriptions`` ``content``, or a CSV export) →
``licensing.subscription.upserted``: the distributor's bill, the "bought" side of SLI's check.

| Pax8 field (CSV alias) | field | rule |
|---|---|---|
| ``id`` (``subscription_id``) | subscription_id | required |
| ``companyId`` (``company_id``) | client_id | ``--set company_map=FILE.csv``, else ``pax8:<companyId>`` |
| company map ``tenant_id`` column | tenant_id | optional |
| ``vendorName`` (``vendor``) | vendor | else the product's ``vendorName`` in ``--set products=FILE``, else ``--set vendor=NAME`` |
| (constant) | distributor | ``Pax8`` |
| ``productId`` (``product_id``) | product_id | required (the SKU map joins on it) |
| ``skuId``, else ``vendorSkuId`` (``sku_id``), else the product's ``vendorSku`` | sku_id | ``--set sku_map=FILE.csv`` by productId wins; none of them → ``pax8-product:<productId>`` |
| sku map ``sku_part_number``, else ``skuPartNumber`` | sku_part_number | optional |
| ``productName`` (``product_name``) | product_name | else the product's ``name`` |
| ``parentSubscriptionId`` | parent_subscription_id | optional (add-ons) |
| ``quantity`` | quantity | whole number ≥ 0 |
| ``partnerCost`` (``partner_cost``) | unit_cost | ≥ 0, per seat as Pax8 quotes it; optional (Pax8's own example omits it): else ``--set pricing=FILE``; else unknown (left out of the event, never 0) |
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

SKU rule: the SKU map is what ties Pax8 products to Microsoft SKUs. Pax8's ``vendorSkuId`` (often
absent from the subscription list) is the vendor's catalogue id (``CFQ7TTC0LCHC:0002``), not the
``skuId`` GUID Graph reports; ``--set sku_map=FILE.csv`` (columns ``product_id,sku_id`` and
optionally ``sku_part_number``) supplies the Graph GUID by Pax8 productId so
``graph.subscribed-skus`` can join on it. Without a map entry or any vendor SKU the seats still
count under ``pax8-product:<productId>`` (visibly not a vendor id; Graph never joins it).

Cost rule: ``partnerCost`` on the subscription, else ``--set pricing=FILE``: Pax8's
``GET /v1/products/{id}/pricing`` responses (one ``{"content": [...]}`` or an array of them; the
rate for the subscription's billing term, commitment and quantity range, a Flat Rate spread over
the seats) or a CSV price list ``product_id,billing_term,partner_cost`` (optional
``commitment_term``, ``currency``). Otherwise the cost is unknown: the event leaves ``unit_cost``
out (licensing.subscription.upserted 1.1) and the seats still count.

Products: ``--set products=FILE`` is Pax8's ``GET /v1/products`` response (``content``: ``id``,
``name``, ``vendorName``, ``vendorSku``); it names the vendor and product the subscription list
does not.

Event time: ``updated_at`` (the subscription's own last change, so re-imports keep their ids).
"""  # noqa: E501

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from msp_events.money import Money
from msp_events.types.licensing import SubscriptionUpserted

from msp_ingest.importer import Fact
from msp_ingest.licensing._common import flatten, parse_count, read_map, read_records
from msp_ingest.options import Options
from msp_ingest.rows import (
    FieldError,
    Row,
    optional_date,
    optional_datetime,
    optional_decimal,
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
        self._products: dict[str, Row] = {}
        self._prices: dict[str, list[Row]] = {}
        self._maps_read = False

    def _read_maps(self) -> None:
        if not self._maps_read:
            self._companies = read_map(self.options, "company_map", "pax8_company_id", ("client_id",))
            self._skus = read_map(self.options, "sku_map", "product_id", ("sku_id",))
            self._products = _by_product(self.options, "products", "id")
            self._prices = {}
            for key, rows in _by_product_all(self.options, "pricing", "productId").items():
                self._prices[key] = rows
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
        product = self._products.get(product_id.lower())
        sku = (self._skus or {}).get(product_id.lower())
        if sku is not None:
            sku_id = sku["sku_id"]
            part_number = sku.get("sku_part_number") or row.optional_text("skuPartNumber", "sku_part_number")
        else:
            found = row.get("skuId", "sku_id", "vendorSkuId", "vendor_sku_id")
            if found is None and product is not None:
                found = product.get("vendorSku")
            # no SKU anywhere (Pax8's own example omits vendorSkuId): the seats still count under a
            # visibly-not-a-vendor id; the SKU map is what ties them to a Microsoft skuId
            sku_id = f"pax8-product:{product_id}" if found is None else str(found)
            part_number = row.optional_text("skuPartNumber", "sku_part_number")
        vendor = (
            row.optional_text("vendorName", "vendor")
            or (product.optional_text("vendorName") if product is not None else None)
            or self.options.extra.get("vendor")
        )
        if not vendor:
            raise FieldError(
                "vendorName",
                "is missing: give a vendorName column, the products list (--set products=FILE) "
                "or --set vendor=NAME",
            )
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
            product_name=row.optional_text("productName", "product_name")
            or (product.optional_text("name") if product is not None else None)
            or row.text("productName", "product_name"),
            parent_subscription_id=row.optional_text("parentSubscriptionId", "parent_subscription_id"),
            quantity=parse_count(row, "quantity"),
            unit_cost=self._unit_cost(row, product_id, raw_term, raw_commitment, currency),
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

    def _unit_cost(
        self, row: Row, product_id: str, term: str, commitment: str | None, currency: str
    ) -> Money | None:
        """``partnerCost`` when the subscription has it; else the product's pricing
        (``--set pricing=FILE``) for its billing term, commitment and quantity; else None: the
        cost is unknown, never taken as zero."""
        cost = optional_decimal(row, "partnerCost", "partner_cost", minimum=ZERO)
        if cost is not None:
            return Money(amount=cost, currency=currency)
        quantity = parse_count(row, "quantity")
        for price in self._prices.get(product_id.lower(), []):
            if (price.optional_text("billingTerm", "billing_term") or "").lower() != term.lower():
                continue
            listed = price.optional_text("commitmentTerm", "commitment_term")
            if commitment is not None and listed is not None and listed.lower() != commitment.lower():
                continue
            rate = _rate_for(price, quantity)
            if rate is not None:
                code = price.optional_text("currencyCode", "currency") or currency
                if code.upper() != currency:
                    raise FieldError(
                        "partnerCost",
                        f"the price list prices {product_id} in {code}, the subscription is in {currency}",
                    )
                return Money(amount=rate, currency=currency)
        return None

    @staticmethod
    def _updated_at(row: Row) -> datetime:
        for name, alias in (("updatedDate", "updated_date"), ("createdDate", "created_date")):
            value = optional_datetime(row, name, alias)
            if value is not None:
                return value
        if row.get("startDate", "start_date") is None:
            raise FieldError("updatedDate", "is missing, and so are createdDate and startDate")
        return parse_datetime(row, "startDate", "start_date")


def _by_product_all(options: Options, name: str, key: str) -> dict[str, list[Row]]:
    """Rows of the JSON or CSV file ``--set NAME=FILE`` grouped by ``key`` (lower case). A JSON file
    may hold one response (``{"content": [...]}``), or an array of responses (one pricing call
    per product) or of records."""
    raw = options.extra.get(name)
    if raw is None:
        return {}
    path = Path(raw)
    out: dict[str, list[Row]] = {}
    if path.suffix.lower() == ".json":
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        responses = document if isinstance(document, list) else [document]
        records: list[Any] = []
        for response in responses:
            if isinstance(response, dict) and isinstance(response.get("content"), list):
                records.extend(response["content"])
            else:
                records.append(response)
        rows = [Row(str(path), n, flatten(r)) for n, r in enumerate(records, 1) if isinstance(r, dict)]
    else:
        rows = list(read_records(path))
    for row in rows:
        value = row.get(key, _snake(key))
        if value is not None:
            out.setdefault(str(value).lower(), []).append(row)
    return out


def _by_product(options: Options, name: str, key: str) -> dict[str, Row]:
    return {k: rows[0] for k, rows in _by_product_all(options, name, key).items()}


def _snake(name: str) -> str:
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _rate_for(price: Row, quantity: int) -> Decimal | None:
    """A price-list row's ``partner_cost``, or the Pax8 pricing ``rates`` entry whose quantity range
    holds the subscription's quantity: Per Unit as is, a Flat Rate spread over the seats."""
    flat = optional_decimal(price, "partner_cost", "partnerCost", "partnerBuyRate", minimum=ZERO)
    if flat is not None:
        return flat
    rates = price.get("rates")
    if not isinstance(rates, list):
        return None
    for rate in rates:
        if not isinstance(rate, dict):
            continue
        low = Decimal(str(rate.get("startQuantityRange") or 0))
        high = rate.get("endQuantityRange")
        if quantity < low or (high is not None and quantity > Decimal(str(high))):
            continue
        buy = rate.get("partnerBuyRate")
        if buy is None:
            return None
        amount = Decimal(str(buy))
        if str(rate.get("chargeType", "Per Unit")).lower().startswith("flat"):
            return (amount / quantity).quantize(Decimal("0.0001")) if quantity else None
        return amount
    return None
