"""AWS cost exports → ``cloud.cost.recorded``: one event per day, account, service, region,
usage type and cost-allocation tags.

**aws.cost-explorer** reads the CSV Cost Explorer downloads, in either of two shapes (told apart
by the header):

- *wide*, as the console's "Download as CSV" writes it for DAILY granularity grouped by Service:
  the first column is ``Service`` and holds the date, every other column is a service labelled
  ``<name>($)``; the ``Service total`` row and the ``Total costs($)`` column are sums of the others
  and are skipped. The file names no account, so ``--set account_id=123456789012`` is required. A
  blank cell is no event; ``0`` is an event of zero cost (a restated day can drop to zero).
- *long*, one row per day and group (what ``GetCostAndUsage`` results flatten to):

| column (aliases) | field | rule |
|---|---|---|
| ``date`` (``TimePeriod.Start``, ``usage_date``) | usage_date | YYYY-MM-DD |
| ``linked_account`` (``LINKED_ACCOUNT``) | linked_account_id | ``--set account_id`` if absent |
| ``linked_account_name`` | linked_account_name | optional |
| ``service`` (``SERVICE``) | service | required |
| ``region`` (``REGION``), ``usage_type`` (``USAGE_TYPE``) | same | optional |
| ``tag`` (CE ``key$value``), or ``tag_key`` + ``tag_value`` | tags, department | blank value = untagged; key spelled as CUR 2.0 does (``cost_center``) |
| ``unblended_cost`` (``UnblendedCost``) | unblended_cost | exact decimal; negative = credit/refund |
| ``amortized_cost`` (``AmortizedCost``) | amortized_cost | optional |
| ``currency`` (``Unit``) | currency of both | ISO 4217; ``--currency``, else USD (CE reports USD) |
| ``usage_quantity`` (``UsageQuantity``), ``usage_unit`` | same | optional; quantity ≥ 0 |
| ``client_id`` | client_id | optional; ``--client`` when the account is one client's |

**aws.cur** reads Cost and Usage Report line items (legacy ``lineItem/...`` headers, CUR 2.0
``line_item_...`` names, or legacy Athena/Parquet ``line_item_...`` + ``product_product_name``) as
AWS delivers them, ``.csv``, ``.csv.gz``, ``.csv.zip`` or ``.parquet`` (pyarrow; a Parquet row's
line in the report is its record number), and sums them to daily lines before anything is sent:

| CUR column (CUR 2.0) | field | rule |
|---|---|---|
| ``identity/LineItemId`` (``identity_line_item_id``) | (dedup) | required; repeated with the same content:
  counted once |
| ``lineItem/UsageStartDate`` (``line_item_usage_start_date``) | usage_date | the UTC day |
| ``lineItem/UsageAccountId`` (``line_item_usage_account_id``) | linked_account_id | required |
| ``product/ProductName`` (CUR 2.0: the ``product`` map's ``product_name``), else ``lineItem/ProductCode`` | service | the same name in all three exports |
| ``product/region`` (``product_region_code``) | region | optional |
| ``lineItem/UsageType`` (``line_item_usage_type``) | usage_type | optional |
| ``resourceTags/user:<Key>`` (CUR 2.0 ``resource_tags`` map ``user_<key>``) | tags | key spelled as CUR 2.0 writes it without ``user_`` (``CostCenter`` → ``cost_center``, see ``tag_key``); blanks skipped |
| ``lineItem/UnblendedCost`` (``line_item_unblended_cost``) | unblended_cost | summed; negative allowed |
| ``lineItem/CurrencyCode`` (``line_item_currency_code``) | currency | ISO 4217 |
| ``lineItem/UsageAmount``, ``pricing/unit`` | usage_quantity, usage_unit | summed; quantity ≥ 0 |

Every line item type is summed (usage, fees, tax, credits, refunds, Savings Plan negation), which
is what Cost Explorer's unblended cost shows. A rejected line is left out of its day's sum and
reported; once fixed, the re-import sends the corrected sum under the same ``cost_line_id``, which
replaces the earlier one (as AWS restatements do). The report's "rows read" counts daily lines,
repeated line items and rejected line items, not every CUR line.

For both: ``cost_line_id`` is ``aws:`` + a SHA-256 of usage_date, account, service, region, usage
type and tags (stable across imports); ``department`` is the value of the tag named by
``--set department_tag=`` (default ``CostCenter``, compared without case). Event time: midnight
UTC of the usage date.
"""  # noqa: E501

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events.money import ISO_4217, Money
from msp_events.types.cloud import CloudCostRecorded

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.rows import (
    FieldError,
    Row,
    optional_decimal,
    parse_currency,
    parse_date,
    parse_decimal,
    read_table,
)

ZERO = Decimal(0)
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_WIDE_COLUMN = re.compile(r"^(?P<name>.+?)\s*\((?P<unit>[^()]+)\)$")


def cost_line_id(
    usage_date: date,
    account: str,
    service: str,
    region: str | None,
    usage_type: str | None,
    tags: dict[str, str],
) -> str:
    key = "|".join(
        [
            usage_date.isoformat(),
            account,
            service,
            region or "",
            usage_type or "",
            ",".join(f"{k}={v}" for k, v in sorted(tags.items())),
        ]
    )
    return "aws:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _department(tags: dict[str, str], tag_name: str) -> str | None:
    """The value of the tag ``--set department_tag=`` names, in any of the exports' spellings."""
    wanted = tag_key(tag_name)
    return next((v for k, v in tags.items() if k == wanted), None)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class CostExplorerCsv:
    source = "cloud.aws.cost-explorer"

    def __init__(self, options: Options) -> None:
        self.options = options
        self.department_tag = options.extra.get("department_tag", "CostCenter")

    def rows(self, path: Path) -> Iterator[Row]:
        rows = list(read_table(path))
        if rows and "Service" in rows[0].fields and any(_WIDE_COLUMN.match(k) for k in rows[0].fields):
            if not self.options.extra.get("account_id"):
                raise ValueError(
                    "the Cost Explorer console CSV names no account: give it with --set account_id=ACCOUNT"
                )
            for row in rows:
                fields = dict(row.fields)
                day = fields.pop("Service", None)
                if (day or "").strip().lower() == "service total":
                    continue
                yield Row(row.file, row.line, {"date": day, **fields})
        else:
            yield from rows

    def convert(self, row: Row) -> Iterator[Fact]:
        if "date" in row.fields and any(_WIDE_COLUMN.match(k) for k in row.fields):
            yield from self._wide(row)
        else:
            yield from self._long(row)

    def _wide(self, row: Row) -> Iterator[Fact]:
        day = parse_date(row, "date")
        account = self.options.extra["account_id"]
        for column in row.fields:
            match = _WIDE_COLUMN.match(column)
            if match is None or row.get(column) is None:
                continue
            service = match["name"].strip()
            if service.lower() == "total costs":
                continue
            unit = match["unit"].strip()
            currency = SYMBOLS.get(unit, unit.upper())
            if currency not in ISO_4217:
                raise FieldError(column, f"unit {unit!r} is not a currency symbol or ISO 4217 code")
            cost = Money(amount=parse_decimal(row, column), currency=currency)
            data = CloudCostRecorded(
                cost_line_id=cost_line_id(day, account, service, None, None, {}),
                usage_date=day,
                linked_account_id=account,
                service=service,
                unblended_cost=cost,
                client_id=self.options.client_id,
            )
            yield Fact(data, _midnight(day))

    def _long(self, row: Row) -> Iterator[Fact]:
        day = parse_date(row, "date", "TimePeriod.Start", "usage_date")
        account = row.optional_text("linked_account", "LINKED_ACCOUNT", "linked_account_id")
        account = account or self.options.extra.get("account_id")
        if account is None:
            raise FieldError("linked_account", "is missing: give the column or --set account_id=ACCOUNT")
        service = row.text("service", "SERVICE")
        region = row.optional_text("region", "REGION")
        usage_type = row.optional_text("usage_type", "USAGE_TYPE")
        tags = self._tags(row)
        currency = parse_currency(row, "currency", "Unit", default=self.options.currency or "USD")
        amortized = optional_decimal(row, "amortized_cost", "AmortizedCost")
        data = CloudCostRecorded(
            cost_line_id=cost_line_id(day, account, service, region, usage_type, tags),
            usage_date=day,
            linked_account_id=account,
            linked_account_name=row.optional_text("linked_account_name"),
            service=service,
            region=region,
            usage_type=usage_type,
            department=_department(tags, self.department_tag),
            tags=tags,
            usage_quantity=optional_decimal(row, "usage_quantity", "UsageQuantity", minimum=ZERO),
            usage_unit=row.optional_text("usage_unit"),
            unblended_cost=Money(
                amount=parse_decimal(row, "unblended_cost", "UnblendedCost"), currency=currency
            ),
            amortized_cost=None if amortized is None else Money(amount=amortized, currency=currency),
            client_id=row.optional_text("client_id") or self.options.client_id,
        )
        yield Fact(data, _midnight(day))

    @staticmethod
    def _tags(row: Row) -> dict[str, str]:
        raw = row.optional_text("tag")
        if raw is not None:
            key, sep, value = raw.partition("$")
            if not sep or not key:
                raise FieldError("tag", f"{raw!r} is not a Cost Explorer tag group (key$value)")
            return {tag_key(key): value} if value else {}
        key_, value_ = row.optional_text("tag_key"), row.optional_text("tag_value")
        return {tag_key(key_): value_} if key_ and value_ else {}


@dataclass(frozen=True)
class _CurLine(Row):
    """A CUR line item after parsing, or the reason it could not be parsed."""

    error: FieldError | None = None
    group: tuple[Any, ...] = ()
    identity: tuple[str, str] = ("", "")
    cost: Decimal = ZERO
    quantity: Decimal | None = None
    unit: str | None = None
    account_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _CurRow(Row):
    """What the import loop sees: a daily sum, a repeated line item, or a rejected one."""

    fact: Fact | None = None
    error: FieldError | None = None


def tag_key(raw: str) -> str:
    """One spelling of a cost-allocation tag key for every AWS export, the one CUR 2.0 writes in its
    ``resource_tags`` map (and Athena in legacy column names) without the ``user_`` prefix:
    ``CostCenter`` (Cost Explorer), ``resourceTags/user:CostCenter`` (legacy CUR) and
    ``user_cost_center`` (CUR 2.0) are all ``cost_center``, so the three give the same
    ``cost_line_id`` and ``tags`` for the same line. AWS-made tags keep their prefix
    (``aws:createdBy`` is ``aws_created_by``)."""
    key = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", raw.strip())
    key = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", key)
    key = re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").lower()
    return key.removeprefix("user_")


def _map(row: Row, column: str) -> dict[str, Any] | None:
    """A CUR 2.0 map column: a dict (Parquet) or its JSON text (CSV); None when absent."""
    raw = row.get(column)
    if raw is None:
        return None
    try:
        mapping = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise FieldError(column, "is not a JSON map of keys to values") from None
    if not isinstance(mapping, dict):
        raise FieldError(column, "is not a JSON map of keys to values")
    return mapping


def _cur_tags(row: Row) -> dict[str, str]:
    """User tags of a line: the CUR 2.0 ``resource_tags`` map, legacy ``resourceTags/user:<key>``
    columns, or Athena/Parquet legacy ``resource_tags_user_<key>`` columns; blank values skipped."""
    tags: dict[str, str] = {}
    for key, value in (_map(row, "resource_tags") or {}).items():
        if value is not None and str(value).strip():
            tags[tag_key(str(key))] = str(value).strip()
    for column, value in row.fields.items():
        if value is None or not str(value).strip():
            continue
        if column.startswith("resourceTags/"):
            tags[tag_key(column.removeprefix("resourceTags/"))] = str(value).strip()
        elif column.startswith("resource_tags_"):
            tags[tag_key(column.removeprefix("resource_tags_"))] = str(value).strip()
    return tags


#: legacy CUR column → its CUR 2.0 name, so a rejection names the column as the file spells it
CUR2_NAMES = {
    "identity/LineItemId": "identity_line_item_id",
    "lineItem/UsageStartDate": "line_item_usage_start_date",
    "lineItem/UsageAccountId": "line_item_usage_account_id",
    "lineItem/ProductCode": "line_item_product_code",
    "lineItem/CurrencyCode": "line_item_currency_code",
    "lineItem/UnblendedCost": "line_item_unblended_cost",
    "lineItem/UsageAmount": "line_item_usage_amount",
}


def _as_spelled(row: Row, exc: FieldError) -> FieldError:
    other = CUR2_NAMES.get(exc.field)
    if other is not None and exc.field not in row.fields and other in row.fields:
        return FieldError(other, exc.reason)
    return exc


def _cur_service(row: Row) -> str:
    """The service as Cost Explorer names it: legacy ``product/ProductName`` (Athena
    ``product_product_name``), the CUR 2.0 ``product`` map's ``product_name``, else the product
    code (``AmazonEC2``) when the line has no product name (some fees and credits)."""
    name = row.optional_text("product/ProductName", "product_product_name")
    if name is None:
        product = _map(row, "product") or {}
        value = product.get("product_name", product.get("productName"))
        name = str(value).strip() if value is not None and str(value).strip() else None
    return name or row.text("lineItem/ProductCode", "line_item_product_code")


class CurLineItems:
    source = "cloud.aws.cur"

    def __init__(self, options: Options) -> None:
        self.options = options
        self.department_tag = options.extra.get("department_tag", "CostCenter")

    def _line(self, row: Row) -> _CurLine:
        try:
            ident = row.text("identity/LineItemId", "identity_line_item_id")
            start = row.text("lineItem/UsageStartDate", "line_item_usage_start_date")
            # CUR 2.0 CSV writes "2026-01-05 00:00:00"; the legacy CUR "2026-01-05T00:00:00Z"
            dated = Row(
                row.file,
                row.line,
                {"lineItem/UsageStartDate": re.sub(r"^(\d{4}-\d{2}-\d{2}) .*$", r"\1", start)},
            )
            day = parse_date(dated, "lineItem/UsageStartDate")
            account = row.text("lineItem/UsageAccountId", "line_item_usage_account_id")
            service = _cur_service(row)
            region = row.optional_text("product/region", "product/regionCode", "product_region_code")
            usage_type = row.optional_text("lineItem/UsageType", "line_item_usage_type")
            currency = parse_currency(
                row, "lineItem/CurrencyCode", "line_item_currency_code", default=self.options.currency
            )
            cost = parse_decimal(row, "lineItem/UnblendedCost", "line_item_unblended_cost")
            quantity = optional_decimal(row, "lineItem/UsageAmount", "line_item_usage_amount", minimum=ZERO)
            tags = _cur_tags(row)
        except FieldError as exc:
            return _CurLine(row.file, row.line, row.fields, error=_as_spelled(row, exc))
        return _CurLine(
            row.file,
            row.line,
            row.fields,
            group=(day, account, service, region, usage_type, tuple(sorted(tags.items())), currency),
            identity=(ident, start),
            cost=cost,
            quantity=quantity,
            unit=row.optional_text("pricing/unit", "pricing_unit"),
            account_name=row.optional_text("lineItem/UsageAccountName", "line_item_usage_account_name"),
            tags=tags,
        )

    def rows(self, path: Path) -> Iterator[Row]:
        lines = [self._line(row) for row in read_table(path)]
        members: dict[tuple[Any, ...], list[_CurLine]] = {}
        first: dict[tuple[str, str], _CurLine] = {}
        repeats: dict[int, _CurLine] = {}
        out: dict[int, _CurRow] = {}
        for line in lines:
            if line.error is not None:
                out[line.line] = _CurRow(line.file, line.line, line.fields, error=line.error)
                continue
            earlier = first.get(line.identity)
            if earlier is not None:
                if dict(earlier.fields) == dict(line.fields):
                    repeats[line.line] = earlier
                else:
                    out[line.line] = _CurRow(
                        line.file,
                        line.line,
                        line.fields,
                        error=FieldError(
                            "identity/LineItemId",
                            f"{line.identity[0]!r} already appeared with different content at line "
                            f"{earlier.line}; fix the export so each id appears once",
                        ),
                    )
                continue
            first[line.identity] = line
            members.setdefault(line.group, []).append(line)
        facts: dict[tuple[Any, ...], Fact] = {}
        for key, group in members.items():
            fact = self._sum(key, group)
            facts[key] = fact
            head = group[0]
            summary = {
                "usage_date": key[0].isoformat(),
                "linked_account_id": key[1],
                "service": key[2],
                "line_items": len(group),
                "lines": ",".join(str(m.line) for m in group),
            }
            out[head.line] = _CurRow(head.file, head.line, summary, fact=fact)
        for number, original in repeats.items():
            out[number] = _CurRow(original.file, number, original.fields, fact=facts[original.group])
        for number in sorted(out):
            yield out[number]

    def _sum(self, key: tuple[Any, ...], group: list[_CurLine]) -> Fact:
        day, account, service, region, usage_type, tag_items, currency = key
        tags = dict(tag_items)
        quantities = [m.quantity for m in group if m.quantity is not None]
        units = {m.unit for m in group if m.unit}
        names = {m.account_name for m in group if m.account_name}
        data = CloudCostRecorded(
            cost_line_id=cost_line_id(day, account, service, region, usage_type, tags),
            usage_date=day,
            linked_account_id=account,
            linked_account_name=names.pop() if len(names) == 1 else None,
            service=service,
            region=region,
            usage_type=usage_type,
            department=_department(tags, self.department_tag),
            tags=tags,
            usage_quantity=sum(quantities, ZERO) if quantities else None,
            usage_unit=units.pop() if len(units) == 1 else None,
            unblended_cost=Money(amount=sum((m.cost for m in group), ZERO), currency=currency),
            client_id=self.options.client_id,
        )
        return Fact(data, _midnight(day))

    def convert(self, row: Row) -> Iterator[Fact]:
        if not isinstance(row, _CurRow):
            raise FieldError("(row)", "not a CUR line read by this importer")
        if row.error is not None:
            raise row.error
        if row.fact is not None:
            yield row.fact
