"""The three-way table recomputed set-wise in SQL, for every dirty client at once.

One statement rebuilds ``licence_lines`` for the clients in ``dirty_clients``: subscriptions (the
line's representative is the one in force with most seats), tenant seats counted assigned and
engaged per SKU (the inactivity window and the provisioning grace evaluated in SQL against the
service clock), RMM installs matched to the SKU, and PSA billing lines in force on the day. A
second statement lists the idle users by name. The same SQL runs on SQLite (the embedded
default) and PostgreSQL: window functions, CTEs and CASE only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Session

from msp_events.runtime.store import UtcDateTime

from sli.domain.reconciliation import Policy

LIVE = "('active', 'pending', 'trial')"


def _engaged(policy: Policy, params: dict[str, Any]) -> str:
    """1 when the seat is engaged: provisioned within the grace (after the tenant's first read),
    or its enabled user signed in within the product's window; else 0 (idle)."""
    cases = []
    for i, (key, _days) in enumerate(sorted(policy.inactive_days_by_product.items())):
        cases.append(f"WHEN a.sku_part_number = :pk{i} OR a.sku_id = :pk{i} THEN :pc{i}")
        params[f"pk{i}"] = key
    cut = f"CASE {' '.join(cases)} ELSE :cut END" if cases else ":cut"
    return (
        "CASE WHEN t.first_observed_at IS NOT NULL AND a.held_since > t.first_observed_at "
        "AND a.held_since > :grace_cut THEN 1 "
        f"WHEN u.account_enabled = :yes AND u.last_sign_in_at >= {cut} THEN 1 ELSE 0 END"
    )


def _bind(sql: str, params: dict[str, Any], policy: Policy, now: datetime) -> TextClause:
    today = now.date()
    binds = [
        bindparam("today", today, type_=Date()),
        bindparam("yes", True, type_=Boolean()),
        bindparam("no", False, type_=Boolean()),
        bindparam("cut", now - timedelta(days=policy.inactive_days), type_=UtcDateTime()),
        bindparam("grace_cut", now - timedelta(days=policy.grace_days), type_=UtcDateTime()),
    ]
    for i, (_key, days) in enumerate(sorted(policy.inactive_days_by_product.items())):
        binds.append(bindparam(f"pc{i}", now - timedelta(days=days), type_=UtcDateTime()))
    binds += [bindparam(k, v) for k, v in params.items()]
    used = [b for b in binds if f":{b.key}" in sql]
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
               SUM(CASE WHEN in_force = 1 THEN quantity ELSE 0 END) AS purchased
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
    bill_sku AS (
        SELECT b.client_id, b.agreement_id, b.quantity, b.monthly_unit_price, b.currency,
               COALESCE((SELECT MIN(s.sku_id) FROM subscriptions s
                         WHERE s.client_id = b.client_id AND s.product_id = b.vendor_sku),
                        b.vendor_sku) AS sku_id
        FROM billing_lines b JOIN dirty_clients d ON d.client_id = b.client_id
        WHERE (b.effective_date IS NULL OR b.effective_date <= :today)
          AND (b.cancelled_date IS NULL OR b.cancelled_date > :today)
    ),
    bill AS (
        SELECT client_id, sku_id, SUM(quantity) AS billed, MAX(monthly_unit_price) AS price,
               MIN(currency) AS currency, MIN(agreement_id) AS agreement_id
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
        agreement_id, assigned, engaged, idle, installed, line_class, reconciled_on
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
           b.billed, b.price, b.currency,
           COALESCE(b.agreement_id, (SELECT MIN(g.agreement_id) FROM agreements g
                                     WHERE g.client_id = k.client_id AND g.cancelled = :no)),
           COALESCE(st.assigned, 0), COALESCE(st.engaged, 0),
           COALESCE(st.assigned, 0) - COALESCE(st.engaged, 0),
           COALESCE(i.installed, 0),
           'properly_licensed', :today
    FROM keys k
    LEFT JOIN ranked r ON r.client_id = k.client_id AND r.sku_id = k.sku_id AND r.rn = 1
    LEFT JOIN sub_agg sa ON sa.client_id = k.client_id AND sa.sku_id = k.sku_id
    LEFT JOIN seats st ON st.client_id = k.client_id AND st.sku_id = k.sku_id
    LEFT JOIN bill b ON b.client_id = k.client_id AND b.sku_id = k.sku_id
    LEFT JOIN inst i ON i.client_id = k.client_id AND i.sku_id = k.sku_id
    """
    session.execute(_bind(sql, params, policy, now))


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


def clear_dirty(session: Session) -> None:
    session.execute(text("DELETE FROM dirty_clients"))
