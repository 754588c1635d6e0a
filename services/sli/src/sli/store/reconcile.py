"""The three-way table recomputed set-wise in SQL, for every dirty client at once.

One statement rebuilds ``licence_lines`` for the clients in ``dirty_clients``:

* bought: subscriptions (the line's representative is the one in force with most seats);
* assigned: the larger of the users seen holding the SKU and the tenant's consumed units (a user
  export may be partial); idle: the users named (the inactivity window judged at the tenant read,
  the provisioning grace against the service clock); engaged = assigned - idle;
* installed: devices whose RMM inventory lists the SKU's software;
* billed: what the client is really charged, the licence lines of its latest invoiced period (on
  or before the day, ended at most 35 days ago), else its PSA agreements' billable additions.

On a line whose subscriptions have all lapsed, only seats, installs and invoiced periods seen
since the lapse count (a tenant no longer read after a client left is not evidence of use). A
second statement lists the idle users by name. The same SQL runs on SQLite (the embedded default)
and PostgreSQL: window functions, CTEs and CASE only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Session

from msp_events.runtime.store import UtcDateTime

from sli.domain.reconciliation import Policy

LIVE = "('active', 'pending', 'trial')"
STALE_INVOICE_DAYS = 35
"""A client's licence invoicing is current while its latest invoiced period ended at most this many
days ago (a monthly invoice plus a few days' slack); after that, the agreements speak for it."""


def _engaged(policy: Policy, params: dict[str, Any]) -> str:
    """1 when the seat is engaged: provisioned within the grace (after the tenant's first read),
    or its enabled user had signed in within the product's window when the tenant was read; else
    0 (idle)."""
    cases = []
    for i, (key, days) in enumerate(sorted(policy.inactive_days_by_product.items())):
        cases.append(f"WHEN a.sku_part_number = :pk{i} OR a.sku_id = :pk{i} THEN :pd{i}")
        params[f"pk{i}"], params[f"pd{i}"] = key, days
    params["window"] = policy.inactive_days
    window = f"CASE {' '.join(cases)} ELSE :window END" if cases else ":window"
    return (
        "CASE WHEN t.first_observed_at IS NOT NULL AND a.held_since > t.first_observed_at "
        "AND a.held_since > :grace_cut THEN 1 "
        f"WHEN u.account_enabled = :yes AND u.idle_days IS NOT NULL AND u.idle_days < {window} THEN 1 "
        "ELSE 0 END"
    )


def _bind(sql: str, params: dict[str, Any], policy: Policy, now: datetime) -> TextClause:
    today = now.date()
    binds = [
        bindparam("today", today, type_=Date()),
        bindparam("stale_day", today - timedelta(days=STALE_INVOICE_DAYS), type_=Date()),
        bindparam("yes", True, type_=Boolean()),
        bindparam("no", False, type_=Boolean()),
        bindparam("grace_cut", now - timedelta(days=policy.grace_days), type_=UtcDateTime()),
    ]
    binds += [bindparam(k, v) for k, v in params.items()]
    used = [b for b in binds if re.search(rf":{b.key}\b", sql)]
    return text(sql).bindparams(*used)


def mark_all_dirty(session: Session) -> None:
    """Every client with any fact: a new day changes who is inactive everywhere."""
    session.execute(
        text(
            """
            INSERT INTO dirty_clients (client_id)
            SELECT client_id FROM (
                SELECT client_id FROM subscriptions
                UNION SELECT client_id FROM seat_users
                UNION SELECT client_id FROM billing_lines
                UNION SELECT client_id FROM devices
                UNION SELECT client_id FROM findings WHERE status = 'open'
            ) k
            WHERE client_id NOT IN (SELECT client_id FROM dirty_clients)
            """
        )
    )


def rebuild_lines(session: Session, policy: Policy, now: datetime) -> None:
    """Replace the dirty clients' lines with a fresh aggregation of their facts."""
    params: dict[str, Any] = {}
    engaged = _engaged(policy, params)
    session.execute(
        text("DELETE FROM licence_lines WHERE client_id IN (SELECT client_id FROM dirty_clients)")
    )
    before_lapse = BEFORE_LAPSE
    sql = f"""
    WITH subs AS (
        SELECT s.*,
               CASE WHEN s.status IN {LIVE}
                         AND (s.commitment_end_date IS NULL OR s.commitment_end_date >= :today
                              OR s.auto_renew IS NULL OR s.auto_renew = :yes)
                    THEN 1 ELSE 0 END AS in_force
        FROM subscriptions s JOIN dirty_clients d ON d.client_id = s.client_id
    ),
    ranked AS (
        SELECT subs.*, ROW_NUMBER() OVER (
            PARTITION BY client_id, sku_id ORDER BY in_force DESC, quantity DESC, subscription_id
        ) AS rn
        FROM subs
    ),
    sub_agg AS (
        SELECT client_id, sku_id, COUNT(*) AS n,
               SUM(CASE WHEN in_force = 1 THEN quantity ELSE 0 END) AS purchased,
               COALESCE(SUM(CASE WHEN in_force = 1 THEN consumed_units END), 0) AS consumed,
               COUNT(consumed_units) AS consumed_known
        FROM subs GROUP BY client_id, sku_id
    ),
    seats AS (
        SELECT a.client_id, a.sku_id, MAX(a.sku_part_number) AS part, COUNT(*) AS assigned,
               SUM({engaged}) AS engaged
        FROM seat_assignments a
        JOIN dirty_clients d ON d.client_id = a.client_id
        JOIN seat_users u ON u.user_id = a.user_id
        LEFT JOIN tenant_baselines t ON t.client_id = a.client_id
        GROUP BY a.client_id, a.sku_id
    ),
    lapsed AS (
        SELECT r.client_id, r.sku_id,
               (SELECT COUNT(*) FROM seat_assignments a
                JOIN seat_users u ON u.user_id = a.user_id
                WHERE a.client_id = r.client_id AND a.sku_id = r.sku_id
                  AND u.observed_at >= r.as_of) AS assigned,
               (SELECT COUNT(DISTINCT w.device_id) FROM device_software w
                JOIN devices v ON v.device_id = w.device_id
                WHERE w.client_id = r.client_id AND v.observed_at >= r.as_of
                  AND (w.product_key = r.sku_part_number
                       OR w.product_key = LOWER(r.product_name))) AS installed
        FROM ranked r WHERE r.rn = 1 AND r.in_force = 0
    ),
    inv_period AS (
        SELECT i.client_id, MAX(i.period_start) AS period
        FROM invoiced_licences i JOIN dirty_clients d ON d.client_id = i.client_id
        WHERE i.period_start <= :today
        GROUP BY i.client_id
        HAVING MAX(i.period_end) >= :stale_day
    ),
    bill_sku AS (
        SELECT b.client_id, b.agreement_id, b.quantity, b.monthly_unit_price, b.currency,
               COALESCE((SELECT MIN(s.sku_id) FROM subscriptions s
                         WHERE s.client_id = b.client_id AND s.product_id = b.vendor_sku),
                        b.vendor_sku) AS sku_id,
               CAST(NULL AS DATE) AS billed_from
        FROM billing_lines b JOIN dirty_clients d ON d.client_id = b.client_id
        WHERE (b.effective_date IS NULL OR b.effective_date <= :today)
          AND (b.cancelled_date IS NULL OR b.cancelled_date > :today)
          AND b.client_id NOT IN (SELECT client_id FROM inv_period)
        UNION ALL
        SELECT i.client_id, i.agreement_id, i.quantity, i.unit_price, i.currency,
               COALESCE((SELECT MIN(s.sku_id) FROM subscriptions s
                         WHERE s.client_id = i.client_id AND s.product_id = i.vendor_sku),
                        i.vendor_sku) AS sku_id,
               i.period_start AS billed_from
        FROM invoiced_licences i JOIN inv_period p ON p.client_id = i.client_id AND p.period = i.period_start
    ),
    bill AS (
        SELECT client_id, sku_id, SUM(quantity) AS billed, MAX(monthly_unit_price) AS price,
               MIN(currency) AS currency, MIN(agreement_id) AS agreement_id,
               MAX(billed_from) AS billed_from
        FROM bill_sku GROUP BY client_id, sku_id
    ),
    inst AS (
        SELECT r.client_id, r.sku_id, COUNT(DISTINCT w.device_id) AS installed
        FROM ranked r
        JOIN device_software w ON w.client_id = r.client_id
             AND (w.product_key = r.sku_part_number OR w.product_key = LOWER(r.product_name))
        WHERE r.rn = 1
        GROUP BY r.client_id, r.sku_id
    ),
    keys AS (
        SELECT client_id, sku_id FROM sub_agg
        UNION SELECT client_id, sku_id FROM seats
        UNION SELECT client_id, sku_id FROM bill
    )
    INSERT INTO licence_lines (
        client_id, sku_id, sku_part_number, product_name, subscription_id, subscription_status,
        subscriptions, purchased, commitment_end_date, auto_renew, unit_cost_amount, unit_cost_currency,
        list_price_amount, list_price_currency, billed, billed_price_amount, billed_price_currency,
        agreement_id, assigned, engaged, idle, installed, tenant_read, line_class, reconciled_on
    )
    SELECT k.client_id, k.sku_id,
           COALESCE(r.sku_part_number, st.part),
           COALESCE(r.product_name, st.part, k.sku_id),
           r.subscription_id,
           CASE WHEN r.subscription_id IS NULL THEN NULL
                WHEN r.in_force = 1 THEN r.status
                WHEN r.status IN {LIVE} THEN 'lapsed'
                ELSE r.status END,
           COALESCE(sa.n, 0),
           sa.purchased,
           r.commitment_end_date, r.auto_renew,
           r.unit_cost_amount, r.unit_cost_currency, r.unit_price_amount, r.unit_price_currency,
           CASE WHEN {before_lapse} THEN NULL ELSE b.billed END,
           CASE WHEN {before_lapse} THEN NULL ELSE b.price END,
           CASE WHEN {before_lapse} THEN NULL ELSE b.currency END,
           COALESCE(b.agreement_id, (SELECT MIN(g.agreement_id) FROM agreements g
                                     WHERE g.client_id = k.client_id AND g.cancelled = :no)),
           CASE WHEN ls.client_id IS NOT NULL THEN ls.assigned
                WHEN COALESCE(sa.consumed, 0) > COALESCE(st.assigned, 0) THEN sa.consumed
                ELSE COALESCE(st.assigned, 0) END,
           CASE WHEN ls.client_id IS NOT NULL THEN 0
                WHEN COALESCE(sa.consumed, 0) > COALESCE(st.assigned, 0) THEN sa.consumed
                ELSE COALESCE(st.assigned, 0) END
             - CASE WHEN ls.client_id IS NULL
                    THEN COALESCE(st.assigned, 0) - COALESCE(st.engaged, 0) ELSE 0 END,
           CASE WHEN ls.client_id IS NULL
                THEN COALESCE(st.assigned, 0) - COALESCE(st.engaged, 0) ELSE 0 END,
           CASE WHEN ls.client_id IS NULL THEN COALESCE(i.installed, 0) ELSE ls.installed END,
           CASE WHEN EXISTS (SELECT 1 FROM tenant_baselines tb WHERE tb.client_id = k.client_id)
                  OR COALESCE(sa.consumed_known, 0) > 0 THEN :yes ELSE :no END,
           'properly_licensed', :today
    FROM keys k
    LEFT JOIN ranked r ON r.client_id = k.client_id AND r.sku_id = k.sku_id AND r.rn = 1
    LEFT JOIN sub_agg sa ON sa.client_id = k.client_id AND sa.sku_id = k.sku_id
    LEFT JOIN seats st ON st.client_id = k.client_id AND st.sku_id = k.sku_id
    LEFT JOIN bill b ON b.client_id = k.client_id AND b.sku_id = k.sku_id
    LEFT JOIN inst i ON i.client_id = k.client_id AND i.sku_id = k.sku_id
    LEFT JOIN lapsed ls ON ls.client_id = k.client_id AND ls.sku_id = k.sku_id
    """
    session.execute(_bind(sql, params, policy, now))


BEFORE_LAPSE = "(ls.client_id IS NOT NULL AND b.billed_from IS NOT NULL AND b.billed_from < r.as_of)"
"""An invoiced period that began before the line's subscriptions lapsed was billed while they were
bought (invoices bill in advance): it is no evidence of billing after the lapse (a client's last
invoice before it left). Only a period begun after the lapse can be over-billing."""


def idle_users(session: Session, policy: Policy, now: datetime) -> dict[tuple[str, str], tuple[str, ...]]:
    """Sign-in names of the dirty clients' idle seat holders per (client, SKU), sorted."""
    params: dict[str, Any] = {}
    engaged = _engaged(policy, params)
    sql = f"""
    SELECT a.client_id, a.sku_id, u.user_principal_name
    FROM seat_assignments a
    JOIN dirty_clients d ON d.client_id = a.client_id
    JOIN seat_users u ON u.user_id = a.user_id
    LEFT JOIN tenant_baselines t ON t.client_id = a.client_id
    WHERE ({engaged}) = 0
    ORDER BY a.client_id, a.sku_id, u.user_principal_name
    """
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for client_id, sku_id, upn in session.execute(_bind(sql, params, policy, now)):
        out[(client_id, sku_id)].append(upn)
    return {key: tuple(names) for key, names in out.items()}


def dirty_clients(session: Session) -> list[str]:
    return [row[0] for row in session.execute(text("SELECT client_id FROM dirty_clients ORDER BY client_id"))]


def read_clients(session: Session) -> set[str]:
    """The dirty clients whose distributor or tenant has been read at least once."""
    rows = session.execute(
        text(
            """
            SELECT d.client_id FROM dirty_clients d
            WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.client_id = d.client_id)
               OR EXISTS (SELECT 1 FROM tenant_baselines t WHERE t.client_id = d.client_id)
            """
        )
    )
    return {row[0] for row in rows}


def clear_dirty(session: Session) -> None:
    session.execute(text("DELETE FROM dirty_clients"))
