"""The month ledger, computed set-wise in SQL for the keys a message touched.

Every use case marks the ``(client, agreement, month)`` keys its fact changed in ``ledger_dirty``
(tagged with the message's id); ``recompute`` then deletes those ledger rows and rebuilds them in
one ``INSERT … SELECT … GROUP BY`` over the fact tables (time entries joined with the technician's
rate period by work date, invoice lines, agreement additions and subscriptions spread over the month
calendar, licence leakage). ``recompute_ledger(session)`` marks every key and runs the same code, so
the incremental path and a full rebuild cannot disagree.

Facts whose client is unknown (or has no currency), and time entries whose technician is unknown,
join nothing: they are *held* (``held_counts``) and applied when the master data arrives, because
that use case marks the client's (or technician's) keys.

PostgreSQL and SQLite run the same statements; only the labour-cost product differs, because
``ExactNumeric`` stores scaled integers on SQLite (10^-4 units): there the product of three scaled
values is rounded back half-up by integer arithmetic, on PostgreSQL by ``ROUND(…, 4)``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from cpi.domain.months import first_day, last_day, months_between

FAR = "9999-12"
NO_AGREEMENT = ""
FULL_RECOMPUTE = "full-recompute"

COLUMNS = (
    "revenue_fee",
    "revenue_labour",
    "revenue_product",
    "revenue_licence",
    "revenue_other",
    "cost_labour",
    "cost_addition",
    "cost_licence",
    "cost_product",
    "cost_other",
    "labour_hours",
    "prepaid_hours",
    "time_value",
    "uncosted_hours",
    "unlinked_hours",
    "uncosted_revenue",
    "currency_mismatches",
    "leakage",
    "leakage_findings",
    "lines_matched_by_product",
    "licence_cost_unmatched",
)

Key = tuple[str, str, str]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _labour(dialect: str) -> str:
    if dialect == "sqlite":  # three values scaled by 10^4: the product is scaled by 10^12
        return "((t.hours * r.hourly_cost * t.multiplier + 50000000) / 100000000)"
    return "ROUND(t.hours * r.hourly_cost * t.multiplier, 4)"


def _block_revenue(dialect: str) -> str:
    """A block-hours agreement's revenue, recognised as its hours are used: hours deducted x the
    block's price per hour (bill_amount / included_hours), half-up to 4 decimals."""
    if dialect == "sqlite":  # scaled by 10^4 each: (a * b) / c stays scaled by 10^4
        return "((t.hours_deducted * g.bill_amount + g.included_hours / 2) / g.included_hours)"
    return "ROUND(t.hours_deducted * g.bill_amount / g.included_hours, 4)"


_IS_BLOCK = "g.agreement_type = 'block_hours' AND g.included_hours > 0"


def _branch(keys: str, values: dict[str, str], body: str, grouped: bool = False) -> str:
    """One source of ledger lines; ``grouped`` sums it per key first (time entries: ~100 rows a key
    would otherwise be carried, wide, into the final sort and group of the union)."""
    if grouped:
        columns = ", ".join(
            f"SUM({values[name]}) AS {name}" if name in values else f"0 AS {name}" for name in COLUMNS
        )
        return f"SELECT {keys}, c.currency AS currency, {columns}\n{body}\nGROUP BY {keys}, c.currency"
    columns = ", ".join(f"{values.get(name, '0')} AS {name}" for name in COLUMNS)
    return f"SELECT {keys}, c.currency AS currency, {columns}\n{body}"


_SKU_COSTED_ELSEWHERE = """(il.vendor_sku IS NOT NULL AND (
    EXISTS (SELECT 1 FROM subscriptions s WHERE s.client_id = il.client_id AND s.sku_id = il.vendor_sku)
    OR EXISTS (SELECT 1 FROM agreement_additions a JOIN agreements g ON g.agreement_id = a.agreement_id
               WHERE g.client_id = il.client_id AND a.vendor_sku = il.vendor_sku)))"""

# -- one cost source per product/licence line (domain.costing.match) -- begin
# A line's cost is an addition's when the addition resells its SKU (above) or, when either side has
# no vendor SKU, its product id; counted on the line only when neither matches.
_PRODUCT_COSTED_ELSEWHERE = """(il.product_id IS NOT NULL AND EXISTS (SELECT 1 FROM agreement_additions a
    JOIN agreements g ON g.agreement_id = a.agreement_id WHERE g.client_id = il.client_id
    AND a.product_id = il.product_id AND (a.vendor_sku IS NULL OR il.vendor_sku IS NULL)))"""
_COSTED_ELSEWHERE = f"({_SKU_COSTED_ELSEWHERE} OR {_PRODUCT_COSTED_ELSEWHERE})"
_MATCHED_BY_PRODUCT = f"(NOT {_SKU_COSTED_ELSEWHERE} AND {_PRODUCT_COSTED_ELSEWHERE})"
# -- end

_SUBSCRIPTION_AGREEMENT = """COALESCE((SELECT MIN(a.agreement_id) FROM agreement_additions a
    JOIN agreements g ON g.agreement_id = a.agreement_id
    WHERE g.client_id = s.client_id AND a.vendor_sku = s.sku_id), '')"""


# The same choice, set-wise for every subscription at once (a full recompute): the correlated
# subquery above ran once per (key, subscription) pair, ~7 s of a 1,000 x 24 recompute.
_SUBSCRIPTION_AGREEMENTS = """LEFT JOIN (SELECT g.client_id, a.vendor_sku, MIN(a.agreement_id) AS agreement_id
    FROM agreement_additions a JOIN agreements g ON g.agreement_id = a.agreement_id
    GROUP BY g.client_id, a.vendor_sku) sa ON sa.client_id = s.client_id AND sa.vendor_sku = s.sku_id"""

_DIRTY_TIME = """FROM ledger_dirty d
JOIN time_entries t ON t.client_id = d.client_id AND t.agreement_id = d.agreement_id AND t.month = d.month
JOIN clients c ON c.client_id = t.client_id"""

_DIRTY_LINES = """FROM ledger_dirty d
JOIN invoice_lines il ON il.client_id = d.client_id AND il.agreement_id = d.agreement_id
     AND il.month = d.month"""
_DIRTY_LEAKAGE = """FROM ledger_dirty d
JOIN licence_leakage k ON k.client_id = d.client_id AND k.agreement_id = d.agreement_id
     AND k.month = d.month"""

TIME_SUMS = "ledger_time_sums"
"""The temporary table a full recompute sums every time entry into first (``_all_time_select``)."""
FULL_KEYS = "ledger_full_keys"
"""The temporary table of every ledger key, a full recompute's ``ledger_dirty`` (``_full_keys``)."""


def _time_parts(dialect: str) -> dict[str, tuple[str, str | None]]:
    """A time entry's contribution to each ledger column: (value, condition it counts under)."""
    return {
        "cost_labour": (_labour(dialect), "r.currency = c.currency"),
        "revenue_fee": (_block_revenue(dialect), f"{_IS_BLOCK} AND g.currency = c.currency"),
        "labour_hours": ("t.hours", None),
        "prepaid_hours": ("t.hours_deducted", "t.agreement_id <> ''"),
        "time_value": ("t.time_value", "t.value_currency = c.currency"),
        "uncosted_hours": ("t.hours", "r.currency IS NULL OR NOT (r.currency = c.currency)"),
        "unlinked_hours": ("t.hours", "t.agreement_id = ''"),
        "currency_mismatches": ("1", "r.currency <> c.currency OR t.value_currency <> c.currency"),
    }


def _time_values(dialect: str) -> dict[str, str]:
    """The per-key statement's time columns: each value, or 0 where its condition fails."""
    return {
        name: value if condition is None else f"CASE WHEN {condition} THEN {value} ELSE 0 END"
        for name, (value, condition) in _time_parts(dialect).items()
    }


_RATE_JOIN = """LEFT JOIN agreements g ON g.agreement_id = t.agreement_id
LEFT JOIN technician_rates r ON r.technician_id = t.technician_id AND r.valid_from <= t.work_date
     AND (r.valid_to IS NULL OR r.valid_to >= t.work_date)"""


@functools.cache
def _time_select(dialect: str) -> str:
    """The time entries' ledger lines of the marked keys, summed per key (see ``_ledger_select``)."""
    return _branch(
        "t.client_id, t.agreement_id, t.month",
        _time_values(dialect),
        f"""{_DIRTY_TIME}
JOIN technicians w ON w.technician_id = t.technician_id
{_RATE_JOIN}
WHERE d.token = :token AND c.currency IS NOT NULL AND NOT t.absence""",
        grouped=True,
    )


_COUNTED = "(c.currency IS NOT NULL AND w.technician_id IS NOT NULL AND NOT t.absence)"


# Conditions on the ledger key itself (its agreement): a full recompute sums the value per key and
# applies them to the sum (``_ledger_select``), not to each of ~100 entries.
_ON_KEY = {"prepaid_hours": "agreement_id <> ''", "unlinked_hours": "agreement_id = ''"}


@functools.cache
def _all_time_select(dialect: str) -> str:
    """Every time entry summed per key in one sequential pass (a full recompute), ``counted`` true
    for the entries the ledger counts (``_time_select``'s joins and filter). The others (absence,
    held for master data) are grouped apart, not left out: their keys are ledger keys too, and
    reading them here spares a second pass over the table to find them.

    The same sums as ``_time_select``'s, cheaper per entry (5M of them): an aggregate ``FILTER``
    instead of adding a 0 where the condition fails (most conditions hold for few entries), and
    ``_ON_KEY`` conditions applied once per key; ``unlinked_hours`` is ``labour_hours`` there."""
    columns = []
    for name, (value, condition) in _time_parts(dialect).items():
        if name == "unlinked_hours":
            continue
        if condition is None or name in _ON_KEY:
            columns.append(f"SUM({value}) AS {name}")
        elif value == "1":
            columns.append(f"COUNT(*) FILTER (WHERE {condition}) AS {name}")
        else:
            columns.append(f"COALESCE(SUM({value}) FILTER (WHERE {condition}), 0) AS {name}")
    return f"""SELECT t.client_id, t.agreement_id, t.month, c.currency AS currency, {_COUNTED} AS counted,
{", ".join(columns)}
FROM time_entries t
LEFT JOIN clients c ON c.client_id = t.client_id
LEFT JOIN technicians w ON w.technician_id = t.technician_id
{_RATE_JOIN}
GROUP BY t.client_id, t.agreement_id, t.month, c.currency, {_COUNTED}"""


def _from_time_sums(name: str) -> str:
    """A ledger column of the time branch, read from ``TIME_SUMS`` (``_all_time_select``)."""
    if name == "unlinked_hours":
        return f"CASE WHEN {_ON_KEY[name]} THEN labour_hours ELSE 0 END AS {name}"
    if name in _ON_KEY:
        return f"CASE WHEN {_ON_KEY[name]} THEN {name} ELSE 0 END AS {name}"
    return name if name in _TIME_COLUMNS else f"0 AS {name}"


_TIME_COLUMNS = tuple(name for name in COLUMNS if name in _time_parts("postgresql"))


@functools.cache
def _ledger_select(dialect: str, every_key: bool = False) -> str:
    """The ``INSERT … SELECT`` of the ledger rows of the keys marked with ``:token``.

    ``every_key``: a full recompute: the keys are every key (``FULL_KEYS``, not ``ledger_dirty``),
    so the fact-driven branches read their tables whole rather than key by key (the time entries
    from ``TIME_SUMS``, summed first), and subscriptions find their agreement by one grouped join.
    The rows are the same either way (tests compare them)."""
    time = (
        "SELECT client_id, agreement_id, month, currency, "
        + ", ".join(_from_time_sums(name) for name in COLUMNS)
        + f" FROM {TIME_SUMS} WHERE counted"
        if every_key
        else _time_select(dialect)
    )
    keys, marked = (f"{FULL_KEYS} d", "") if every_key else ("ledger_dirty d", "d.token = :token AND ")
    ok = "il.currency = c.currency"
    elsewhere = _COSTED_ELSEWHERE

    def line(kind: str) -> str:
        return f"CASE WHEN {ok} AND il.line_type = '{kind}' THEN il.amount ELSE 0 END"

    # A block purchase is prepaid: billed when bought, earned as its hours are used (time branch).
    not_block = f"NOT (g.agreement_id IS NOT NULL AND {_IS_BLOCK})"

    invoice = _branch(
        "il.client_id, il.agreement_id, il.month",
        {
            "revenue_fee": f"CASE WHEN {ok} AND il.line_type = 'agreement_fee' AND {not_block} "
            "THEN il.amount ELSE 0 END",
            "revenue_labour": line("labour"),
            "revenue_product": line("product"),
            "revenue_licence": line("licence"),
            "revenue_other": f"CASE WHEN {ok} AND il.line_type IN ('expense', 'other') "
            "THEN il.amount ELSE 0 END",
            "cost_licence": f"CASE WHEN {ok} AND il.line_type = 'licence' AND il.cost IS NOT NULL "
            f"AND NOT {elsewhere} THEN il.cost ELSE 0 END",
            "cost_product": f"CASE WHEN {ok} AND il.line_type = 'product' AND il.cost IS NOT NULL "
            f"AND NOT {elsewhere} THEN il.cost ELSE 0 END",
            "cost_other": f"CASE WHEN {ok} AND il.line_type IN ('expense', 'other') AND il.cost IS NOT NULL "
            "THEN il.cost ELSE 0 END",
            "uncosted_revenue": f"CASE WHEN {ok} AND il.line_type IN ('product', 'licence') "
            f"AND il.cost IS NULL AND NOT {elsewhere} THEN il.amount ELSE 0 END",
            "currency_mismatches": f"CASE WHEN {ok} THEN 0 ELSE 1 END",
            "lines_matched_by_product": f"CASE WHEN {ok} AND il.line_type IN ('product', 'licence') "
            f"AND {_MATCHED_BY_PRODUCT} THEN 1 ELSE 0 END",
            "licence_cost_unmatched": f"CASE WHEN {ok} AND il.line_type = 'licence' AND il.cost IS NOT NULL "
            f"AND NOT {elsewhere} THEN il.cost ELSE 0 END",
        },
        f"""{"FROM invoice_lines il" if every_key else _DIRTY_LINES}
JOIN clients c ON c.client_id = il.client_id
LEFT JOIN agreements g ON g.agreement_id = il.agreement_id
WHERE {"" if every_key else "d.token = :token AND "}c.currency IS NOT NULL""",
    )
    addition = _branch(
        "d.client_id, d.agreement_id, d.month",
        {
            "cost_addition": """CASE WHEN a.currency = c.currency
                AND NOT (a.vendor_sku IS NOT NULL AND EXISTS (
                SELECT 1 FROM subscriptions s WHERE s.client_id = d.client_id AND s.sku_id = a.vendor_sku
                AND s.costed AND d.month >= s.from_month AND d.month <= COALESCE(s.to_month, :far)))
                THEN a.monthly_cost ELSE 0 END""",
            "currency_mismatches": "CASE WHEN a.currency = c.currency THEN 0 ELSE 1 END",
        },
        f"""FROM {keys}
JOIN agreements g ON g.agreement_id = d.agreement_id AND g.client_id = d.client_id
JOIN agreement_additions a ON a.agreement_id = g.agreement_id
JOIN clients c ON c.client_id = d.client_id
WHERE {marked}c.currency IS NOT NULL
  AND d.month >= g.start_month AND d.month <= COALESCE(g.end_month, :far)
  AND d.month >= a.from_month AND d.month <= COALESCE(a.to_month, :far)""",
    )
    subscription = _branch(
        "d.client_id, d.agreement_id, d.month",
        {
            "cost_licence": "CASE WHEN s.currency = c.currency THEN s.monthly_cost ELSE 0 END",
            "currency_mismatches": "CASE WHEN s.currency = c.currency THEN 0 ELSE 1 END",
        },
        f"""FROM {keys}
JOIN subscriptions s ON s.client_id = d.client_id
     AND d.month >= s.from_month AND d.month <= COALESCE(s.to_month, :far)
JOIN clients c ON c.client_id = d.client_id
{_SUBSCRIPTION_AGREEMENTS if every_key else ""}
WHERE {marked}s.costed AND c.currency IS NOT NULL
  AND d.agreement_id = {"COALESCE(sa.agreement_id, '')" if every_key else _SUBSCRIPTION_AGREEMENT}""",
    )
    leakage = _branch(
        "k.client_id, k.agreement_id, k.month",
        {
            "leakage": "CASE WHEN k.currency = c.currency THEN k.exposure ELSE 0 END",
            "leakage_findings": "CASE WHEN k.currency = c.currency THEN 1 ELSE 0 END",
            "currency_mismatches": "CASE WHEN k.currency = c.currency THEN 0 ELSE 1 END",
        },
        f"""{"FROM licence_leakage k" if every_key else _DIRTY_LEAKAGE}
JOIN clients c ON c.client_id = k.client_id
WHERE {"" if every_key else "d.token = :token AND "}c.currency IS NOT NULL""",
    )
    sums = ", ".join(f"SUM(u.{name})" for name in COLUMNS)
    union = "\nUNION ALL\n".join((time, invoice, addition, subscription, leakage))
    return f"""INSERT INTO ledger (client_id, agreement_id, month, currency, {", ".join(COLUMNS)})
SELECT u.client_id, u.agreement_id, u.month, u.currency, {sums}
FROM ({union}) u
GROUP BY u.client_id, u.agreement_id, u.month, u.currency"""


# -- marking keys ------------------------------------------------------------------------------------


def mark_keys(session: Session, token: str, keys: Iterable[Key]) -> None:
    ordered = sorted(set(keys))
    if not ordered:
        return
    session.flush()
    if _dialect(session) == "postgresql":  # a batch's keys in one statement, as three arrays
        clients, agreements, months = (list(column) for column in zip(*ordered, strict=True))
        session.execute(
            text(
                "INSERT INTO ledger_dirty (token, client_id, agreement_id, month) "
                "SELECT :token, k.c, k.a, k.m FROM unnest(CAST(:cs AS text[]), CAST(:ags AS text[]), "
                "CAST(:ms AS text[])) AS k(c, a, m) ON CONFLICT DO NOTHING"
            ),
            {"token": token, "cs": clients, "ags": agreements, "ms": months},
        )
        return
    session.execute(
        text(
            "INSERT INTO ledger_dirty (token, client_id, agreement_id, month) "
            "VALUES (:token, :c, :a, :m) ON CONFLICT DO NOTHING"
        ),
        [{"token": token, "c": c, "a": a, "m": m} for c, a, m in ordered],
    )


def _mark_select(session: Session, token: str, select_sql: str, params: dict[str, Any]) -> None:
    session.flush()
    session.execute(
        text(
            "INSERT INTO ledger_dirty (token, client_id, agreement_id, month) "
            f"SELECT DISTINCT :token, k.client_id, k.agreement_id, k.month FROM ({select_sql}) k "
            "WHERE k.client_id IS NOT NULL ON CONFLICT DO NOTHING"
        ),
        {"token": token, **params},
    )


def _client_keys(where: str, time_entries: str = "time_entries") -> str:
    """Every key a client (or all clients) can have: its fact keys, its ledger rows, and each of
    its agreements (and 'no agreement') in every calendar month. ``time_entries``: where the time
    entries' keys are read (a full recompute: its sums per key, ``TIME_SUMS``)."""
    # DISTINCT per large branch: ~100 time entries share a key, and the union's own sort of every
    # row spills to disk (5M rows: 2.7 s; distinct over the key index first: 0.8 s)
    return f"""
SELECT DISTINCT client_id, agreement_id, month FROM {time_entries} WHERE {where}
UNION SELECT DISTINCT client_id, agreement_id, month FROM invoice_lines WHERE {where}
UNION SELECT client_id, agreement_id, month FROM licence_leakage WHERE {where}
UNION SELECT client_id, agreement_id, month FROM ledger WHERE {where}
UNION SELECT g.client_id, g.agreement_id, m.month FROM agreements g JOIN ledger_months m
      ON m.month >= g.start_month AND m.month <= COALESCE(g.end_month, :far) WHERE g.{where}
UNION SELECT s.client_id, '', m.month FROM subscriptions s JOIN ledger_months m
      ON m.month >= s.from_month AND m.month <= COALESCE(s.to_month, :far) WHERE s.{where}"""


def mark_client(session: Session, token: str, client_id: str) -> None:
    _mark_select(session, token, _client_keys("client_id = :client"), {"client": client_id, "far": FAR})


def mark_technician(session: Session, token: str, technician_id: str, from_date: Any) -> None:
    """The keys of the technician's time worked on or after ``from_date`` (a rate change)."""
    _mark_select(
        session,
        token,
        "SELECT client_id, agreement_id, month FROM time_entries "
        "WHERE technician_id = :tech AND work_date >= :day",
        {"tech": technician_id, "day": from_date},
    )


def mark_months(session: Session, token: str, months: Sequence[str]) -> None:
    """New calendar months: every agreement and subscription client in them (recurring lines)."""
    if not months:
        return
    _mark_select(
        session,
        token,
        """SELECT g.client_id, g.agreement_id, m.month FROM agreements g JOIN ledger_months m
               ON m.month >= g.start_month AND m.month <= COALESCE(g.end_month, :far)
               WHERE m.month >= :lo AND m.month <= :hi
           UNION SELECT s.client_id, '', m.month FROM subscriptions s JOIN ledger_months m
               ON m.month >= s.from_month AND m.month <= COALESCE(s.to_month, :far)
               WHERE m.month >= :lo AND m.month <= :hi""",
        {"far": FAR, "lo": min(months), "hi": max(months)},
    )


def ensure_months(session: Session, months: Iterable[str]) -> list[str]:
    """Extend the calendar so it covers ``months`` without gaps; returns the months added."""
    wanted = set(months)
    if not wanted:
        return []
    lo, hi = session.execute(text("SELECT MIN(month), MAX(month) FROM ledger_months")).one()
    bounds = wanted | ({lo, hi} if lo is not None else set())
    added = [m for m in months_between(min(bounds), max(bounds)) if lo is None or m < lo or m > hi]
    if added:
        session.execute(
            text("INSERT INTO ledger_months (month, first_day, last_day) VALUES (:m, :f, :l)"),
            [{"m": m, "f": first_day(m), "l": last_day(m)} for m in added],
        )
    return added


# -- recomputing ---------------------------------------------------------------------------------------


def recompute(session: Session, token: str) -> list[tuple[str, str]]:
    """Rebuild the ledger rows of the keys marked with ``token``; returns the (client, month)
    pairs touched, sorted."""
    session.flush()
    params = {"token": token, "far": FAR}
    touched = [
        (str(c), str(m))
        for c, m in session.execute(
            text("SELECT DISTINCT client_id, month FROM ledger_dirty WHERE token = :token ORDER BY 1, 2"),
            params,
        )
    ]
    if not touched:
        return []
    session.execute(
        text(
            "DELETE FROM ledger WHERE EXISTS (SELECT 1 FROM ledger_dirty d WHERE d.token = :token "
            "AND d.client_id = ledger.client_id AND d.agreement_id = ledger.agreement_id "
            "AND d.month = ledger.month)"
        ),
        params,
    )
    session.execute(text(_ledger_select(_dialect(session))), params)
    session.execute(text("DELETE FROM ledger_dirty WHERE token = :token"), params)
    return touched


def recompute_ledger(session: Session, keys: Iterable[Key] | None = None) -> int:
    """Rebuild the ledger for ``keys`` (``None``: every key any fact or ledger row has), with the
    same statement the incremental path uses; returns the number of (client, month) pairs."""
    if keys is None:
        return _recompute_all(session)
    mark_keys(session, FULL_RECOMPUTE, keys)
    postgres = _dialect(session) == "postgresql"
    if postgres:
        # ledger_dirty holds a few keys per message, so its statistics say "empty" and the planner
        # joins every fact by index, key after key (right for a message, 1.6x slower for many keys):
        # tell it how many keys there are now, and that the table is empty again afterwards.
        session.execute(text("ANALYZE ledger_dirty"))
    pairs = len(recompute(session, FULL_RECOMPUTE))
    if postgres:
        session.execute(text("ANALYZE ledger_dirty"))
    return pairs


def _recompute_all(session: Session) -> int:
    """Rebuild every ledger row: the rows of every key, as the per-key statement would give them
    (``tests/test_full_recompute.py``), without marking keys one by one in ``ledger_dirty``.

    1. every time entry is summed per key in one pass into ``TIME_SUMS`` (on PostgreSQL by
       ``CREATE TABLE AS``, which may run in parallel, ``INSERT … SELECT`` never does);
    2. every key (``_client_keys``, its time-entry keys read from those sums rather than from the
       5M-row table again) goes into ``FULL_KEYS``;
    3. every ledger row is deleted (every row's key is a key), and the ledger rebuilt in one
       ``INSERT … SELECT`` that reads the facts whole and the keys from ``FULL_KEYS``."""
    session.flush()
    dialect = _dialect(session)
    postgres = dialect == "postgresql"
    params = {"far": FAR}
    sql = full_recompute_sql(dialect)
    old = _set_local(session, FULL_RECOMPUTE_SETTINGS["sums"]) if postgres else {}
    session.execute(text(sql["sums"]))
    if postgres:
        _set_local(session, FULL_RECOMPUTE_SETTINGS["insert"])
    session.execute(text(sql["keys"]), params)
    if postgres:  # temporary tables are never analysed by autovacuum
        session.execute(text(f"ANALYZE {TIME_SUMS}, {FULL_KEYS}"))
    pairs = int(
        session.execute(
            text(f"SELECT COUNT(*) FROM (SELECT DISTINCT client_id, month FROM {FULL_KEYS}) p")
        ).scalar_one()
    )
    session.execute(text("DELETE FROM ledger"))
    session.execute(text(sql["insert"]), params)
    session.execute(text(f"DROP TABLE {TIME_SUMS}"))
    session.execute(text(f"DROP TABLE {FULL_KEYS}"))
    if postgres:
        _set_local(session, old)
    return pairs


@functools.cache
def full_recompute_sql(dialect: str) -> dict[str, str]:
    """The full recompute's statements (``_recompute_all``; the benchmark explains the same):
    ``sums`` fills ``TIME_SUMS``, ``keys`` fills ``FULL_KEYS``, ``insert`` rebuilds the ledger."""
    return {
        "sums": f"CREATE TEMPORARY TABLE {TIME_SUMS} AS {_all_time_select(dialect)}",
        "keys": f"CREATE TEMPORARY TABLE {FULL_KEYS} AS SELECT DISTINCT k.client_id, k.agreement_id, "
        f"k.month FROM ({_client_keys('client_id IS NOT NULL', TIME_SUMS)}) k WHERE k.client_id IS NOT NULL",
        "insert": _ledger_select(dialect, every_key=True),
    }


FULL_RECOMPUTE_SETTINGS = {
    "sums": {"work_mem": "256MB", "jit": "on"},
    "insert": {"work_mem": "256MB", "jit": "off"},
}
"""PostgreSQL settings for the full recompute's statements, this transaction only (``SET LOCAL``),
restored afterwards. ``work_mem``: the time entries' sums per key (48,000 keys at 1,000 x 24, 8
sums each) spilled to disk at the default 4 MB (129 batches, 555 MB written). ``jit``: compiling
the sums' expressions pays for itself over 5M rows; compiling the ~400 expressions of the insert,
which reads ~250,000 rows, did not. See docs/benchmarks.md."""


def _set_local(session: Session, settings: dict[str, str]) -> dict[str, str]:
    """``SET LOCAL`` each setting (until the transaction ends); returns the values they replace."""
    old = {}
    for name, value in settings.items():
        old[name] = str(session.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one())
        session.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    return old


def held_counts(session: Session, client_id: str | None = None) -> dict[str, int]:
    """Facts waiting for master data: time entries whose client (or its currency) or technician is
    unknown, invoice lines and leakage findings of unknown clients."""
    where = "" if client_id is None else "AND f.client_id = :client"
    params = {"client": client_id}
    no_client = (
        "NOT EXISTS (SELECT 1 FROM clients c WHERE c.client_id = f.client_id AND c.currency IS NOT NULL)"
    )
    queries = {
        "time_entries_unknown_client": "SELECT COUNT(*) FROM time_entries f "
        f"WHERE NOT f.absence AND {no_client} {where}",
        "time_entries_unknown_technician": "SELECT COUNT(*) FROM time_entries f WHERE NOT f.absence "
        f"AND NOT EXISTS (SELECT 1 FROM technicians w WHERE w.technician_id = f.technician_id) {where}",
        "invoices_unknown_client": f"SELECT COUNT(*) FROM invoices f WHERE {no_client} {where}",
        "leakage_unknown_client": f"SELECT COUNT(*) FROM licence_leakage f WHERE {no_client} {where}",
    }
    return {name: int(session.execute(text(sql), params).scalar_one()) for name, sql in queries.items()}
