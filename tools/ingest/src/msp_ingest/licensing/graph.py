"""Microsoft Graph exports of one client tenant (``--client``): ``GET /subscribedSkus`` and
``GET /users?$select=...,assignedLicenses,signInActivity``, both as ``{"value": [...]}``.

**graph.subscribed-skus → licensing.subscription.upserted (the tenant truth joined to the bill).**
A tenant SKU carries no price, billing term or distributor: those are the distributor's, and
``licensing.subscription.upserted`` requires them. A second subscription made up from Graph alone
would double the seats SLI counts (or, sent with the Pax8 id, wipe its prices). So this kind reads
the same client's Pax8 subscriptions (``--set pax8=FILE`` as for ``pax8.subscriptions``, with the
same ``company_map``/``sku_map``) and re-sends each one matched on ``sku_id`` with what only the
tenant knows, stamped with the time the tenant was read so that SLI takes it as the newer version:

| Graph field | field | rule |
|---|---|---|
| ``skuId`` | sku_id | joins the Pax8 subscriptions of ``--client`` with that sku_id (not cancelled) |
| ``skuPartNumber`` | sku_part_number | replaces Pax8's when given |
| ``consumedUnits`` | consumed_units | whole ≥ 0; split over several subscriptions of one SKU (below) |
| ``capabilityStatus`` | capability_status | Enabled/Warning/Suspended/Deleted/LockedOut → lower snake case |
| ``prepaidUnits.enabled`` | (checked) | whole ≥ 0; quantity stays Pax8's, what the client is billed for |
| ``id`` (``<tenantId>_<skuId>``) | tenant_id | ``--set tenant_id=`` wins; else the part before ``_`` |
| ``--set observed_at=ISO`` | updated_at | default: midnight UTC of the import date |

One SKU bought as several Pax8 subscriptions (monthly and annual, say) has one ``consumedUnits``:
it fills the subscriptions in order of start date up to each quantity, the overflow going to the
last, so the consumed units add up to Graph's and no seat is counted twice. A SKU with no Pax8
subscription for the client (bought elsewhere, free, or missing from the SKU map) is a rejected row
naming it: that is SLI's "new revenue found / unmapped" case and needs a person.

**graph.users → licensing.seat.activity.** One event per user per read:

| Graph field | field | rule |
|---|---|---|
| ``id`` | user_id | required (object id GUID) |
| ``userPrincipalName`` | user_principal_name | required |
| ``displayName``, ``department`` | same | optional |
| ``userType`` | user_type | Member/Guest → member/guest |
| ``accountEnabled`` | account_enabled | required true/false |
| ``deletedDateTime`` | deleted | true when set (users read from ``/directory/deletedItems``) |
| ``assignedLicenses[].skuId`` | assigned_licences | each needs a skuId; ``--set skus=FILE`` (a
  subscribedSkus JSON) adds the part numbers |
| ``signInActivity.lastSuccessfulSignInDateTime`` | last_sign_in_at | None when absent (AuditLog.Read.All) |
| ``--client`` / ``--set tenant_id`` | client_id / tenant_id | ``--client`` required |
| ``--set observed_at=ISO`` | observed_at | default: midnight UTC of the import date |

Event time: ``observed_at`` for both, the moment the tenant was read (an explicit option, never a
file's mtime, so the same export imported twice keeps its ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from msp_events.types.licensing import AssignedLicence, SeatActivity, SubscriptionUpserted

from msp_ingest.importer import Fact
from msp_ingest.licensing._common import optional_count, parse_count, read_records, setting_time
from msp_ingest.licensing.pax8 import Pax8Subscriptions
from msp_ingest.options import Options
from msp_ingest.rows import FieldError, Row, optional_datetime, parse_bool

Capability = Literal["enabled", "warning", "suspended", "deleted", "locked_out"]
CAPABILITIES: dict[str, Capability] = {
    "enabled": "enabled",
    "warning": "warning",
    "suspended": "suspended",
    "deleted": "deleted",
    "lockedout": "locked_out",
}
USER_TYPES: dict[str, Literal["member", "guest"]] = {"member": "member", "guest": "guest"}


def _client(options: Options) -> str:
    if not options.client_id:
        raise ValueError("a Graph export is one tenant: give the PSA client it belongs to with --client")
    return options.client_id


class GraphSubscribedSkus:
    source = "licensing.graph"

    def __init__(self, options: Options) -> None:
        self.options = options
        self._bought: dict[str, list[SubscriptionUpserted]] | None = None
        self._observed_at: datetime | None = None

    def _observed(self) -> datetime:
        if self._observed_at is None:
            self._observed_at = setting_time(self.options, "observed_at")
        return self._observed_at

    def _pax8(self) -> dict[str, list[SubscriptionUpserted]]:
        if self._bought is None:
            client = _client(self.options)
            path = self.options.extra.get("pax8")
            if not path:
                raise ValueError(
                    "Graph subscribedSkus carry no prices or terms: give the client's Pax8 subscriptions "
                    "with --set pax8=FILE (JSON or CSV, as for pax8.subscriptions)"
                )
            pax8 = Pax8Subscriptions(self.options)
            bought: dict[str, list[SubscriptionUpserted]] = {}
            for row in pax8.rows(Path(path)):
                try:
                    facts = list(pax8.convert(row))
                except (FieldError, ValueError):
                    continue  # reported when the Pax8 export itself is imported
                for fact in facts:
                    s = fact.data
                    if (
                        isinstance(s, SubscriptionUpserted)
                        and s.client_id == client
                        and s.status != "cancelled"
                    ):
                        bought.setdefault(s.sku_id.lower(), []).append(s)
            for subscriptions in bought.values():
                subscriptions.sort(key=lambda s: (s.start_date or date.min, s.subscription_id))
            self._bought = bought
        return self._bought

    def rows(self, path: Path) -> Iterator[Row]:
        self._pax8()
        self._observed()
        return read_records(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        observed_at = self._observed()
        sku_id = row.text("skuId", "sku_id")
        part_number = row.optional_text("skuPartNumber", "sku_part_number")
        consumed = parse_count(row, "consumedUnits", "consumed_units")
        optional_count(row, "prepaidUnits.enabled", "prepaid_enabled")
        raw_status = row.text("capabilityStatus", "capability_status")
        capability = CAPABILITIES.get(raw_status.lower())
        if capability is None:
            raise FieldError(
                "capabilityStatus",
                f"{raw_status!r} is not one of Enabled, Warning, Suspended, Deleted, LockedOut",
            )
        tenant_id = self.options.extra.get("tenant_id") or self._tenant_of(row)
        bought = self._pax8().get(sku_id.lower())
        if not bought:
            raise FieldError(
                "skuId",
                f"{part_number or sku_id} ({sku_id}) has no Pax8 subscription for client "
                f"{self.options.client_id!r}: bought elsewhere, free, or missing from the sku_map",
            )
        remaining = consumed
        for index, subscription in enumerate(bought):
            share = remaining if index == len(bought) - 1 else min(remaining, subscription.quantity)
            remaining -= share
            joined = subscription.model_copy(
                update={
                    "tenant_id": tenant_id or subscription.tenant_id,
                    "sku_part_number": part_number or subscription.sku_part_number,
                    "consumed_units": share,
                    "capability_status": capability,
                    "updated_at": observed_at,
                }
            )
            yield Fact(SubscriptionUpserted.model_validate(joined.model_dump()), observed_at)

    @staticmethod
    def _tenant_of(row: Row) -> str | None:
        ident = row.optional_text("id")
        if ident is None or "_" not in ident:
            return None
        return ident.split("_", 1)[0]


class GraphUsers:
    source = "licensing.graph"

    def __init__(self, options: Options) -> None:
        self.options = options
        self._part_numbers: dict[str, str] | None = None
        self._observed_at: datetime | None = None

    def _observed(self) -> datetime:
        if self._observed_at is None:
            self._observed_at = setting_time(self.options, "observed_at")
        return self._observed_at

    def _skus(self) -> dict[str, str]:
        if self._part_numbers is None:
            names: dict[str, str] = {}
            path = self.options.extra.get("skus")
            if path:
                for row in read_records(Path(path)):
                    sku, part = row.get("skuId"), row.get("skuPartNumber")
                    if sku is not None and part is not None:
                        names[str(sku).lower()] = str(part)
            self._part_numbers = names
        return self._part_numbers

    def rows(self, path: Path) -> Iterator[Row]:
        _client(self.options)
        self._observed()
        self._skus()
        return read_records(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        observed_at = self._observed()
        raw_type = row.optional_text("userType", "user_type")
        user_type = None
        if raw_type is not None:
            user_type = USER_TYPES.get(raw_type.lower())
            if user_type is None:
                raise FieldError("userType", f"{raw_type!r} is not Member or Guest")
        activity = SeatActivity(
            user_id=row.text("id", "user_id"),
            client_id=_client(self.options),
            tenant_id=self.options.extra.get("tenant_id"),
            user_principal_name=row.text("userPrincipalName", "user_principal_name"),
            display_name=row.optional_text("displayName", "display_name"),
            department=row.optional_text("department"),
            user_type=user_type,
            account_enabled=parse_bool(row, "accountEnabled", "account_enabled"),
            deleted=row.get("deletedDateTime") is not None,
            assigned_licences=self._licences(row),
            last_sign_in_at=optional_datetime(row, "signInActivity.lastSuccessfulSignInDateTime"),
            observed_at=observed_at,
        )
        yield Fact(activity, observed_at)

    def _licences(self, row: Row) -> list[AssignedLicence]:
        raw: Any = row.fields.get("assignedLicenses") or []
        if isinstance(raw, str):  # a CSV export carries the JSON array in one cell
            try:
                raw = json.loads(raw)
            except ValueError:
                raise FieldError("assignedLicenses", "is not a JSON array of {skuId: ...}") from None
        if not isinstance(raw, list):
            raise FieldError("assignedLicenses", "is not a list of {skuId: ...}")
        licences: list[AssignedLicence] = []
        for number, item in enumerate(raw, start=1):
            sku = item.get("skuId") if isinstance(item, dict) else None
            if not sku:
                raise FieldError("assignedLicenses", f"licence {number} has no skuId")
            licences.append(
                AssignedLicence(sku_id=str(sku), sku_part_number=self._skus().get(str(sku).lower()))
            )
        return licences
