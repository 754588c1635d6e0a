"""The contract register's statuses and the approval workflow.

Approval is a small state machine: a contract whose extracted terms still need review is a
``draft`` (a person confirms or corrects them first), otherwise it awaits approval; approval
needs an approver whose role covers the contract's annual value (a higher value needs a more
senior role); a rejected contract goes back to draft when it is corrected. Anything else is an
illegal transition, which the API answers with 409. Once approved, the status a procurement
manager sees follows the dates: pending start, active, renewed (an evergreen term rolled
forward) or expired; a terminated contract stays terminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from vcm.domain.deadlines import Period, term_end_on

APPROVAL_STATES = ("draft", "pending_approval", "approved", "rejected", "terminated")
STATUSES = (
    "draft",
    "pending_approval",
    "rejected",
    "pending_start",
    "active",
    "renewed",
    "expired",
    "terminated",
)


class IllegalTransition(Exception):
    """The action is not allowed from the contract's state (HTTP 409)."""


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    up_to: Decimal | None
    """Annual value (in the contract's currency) this rule covers; None: any value."""
    roles: tuple[str, ...]


DEFAULT_RULES = (
    ApprovalRule(Decimal("10000"), ("finance", "owner")),
    ApprovalRule(Decimal("50000"), ("owner",)),
    ApprovalRule(None, ("owner",)),
)


def roles_for(
    annual_value: Decimal | None, rules: tuple[ApprovalRule, ...] = DEFAULT_RULES
) -> tuple[str, ...]:
    """The roles that may approve a contract of this value; an unknown value needs the last rule's."""
    if annual_value is not None:
        for rule in rules:
            if rule.up_to is None or annual_value <= rule.up_to:
                return rule.roles
    return rules[-1].roles


def state_after_intake(needs_review: list[str]) -> str:
    return "draft" if needs_review else "pending_approval"


def state_after_correction(state: str, needs_review: list[str]) -> str:
    """Correcting terms re-opens a rejected contract; a draft with nothing left to review moves on."""
    if state == "terminated":
        raise IllegalTransition("a terminated contract cannot be changed")
    if state in ("draft", "rejected", "pending_approval"):
        return state_after_intake(needs_review)
    return state


def approve(
    state: str, needs_review: list[str], approver_roles: tuple[str, ...], allowed: tuple[str, ...]
) -> str:
    if state != "pending_approval":
        detail = (
            f" (fields to review first: {', '.join(needs_review)})"
            if state == "draft" and needs_review
            else ""
        )
        raise IllegalTransition(f"cannot approve a contract that is {state}{detail}")
    if not set(approver_roles) & set(allowed):
        raise PermissionError(
            f"this contract's value needs an approver with one of the roles {', '.join(allowed)}"
        )
    return "approved"


def reject(state: str) -> str:
    if state not in ("pending_approval", "draft"):
        raise IllegalTransition(f"cannot reject a contract that is {state}")
    return "rejected"


def terminate(state: str, effective: date | None, on: date) -> str:
    """End a contract: notice given, a breach, the vendor gone. From any live state; a rejected
    contract was never in force and a terminated one is already over (both 409). A termination
    dated before the contract starts is a mistake in the request, not a transition."""
    if state == "terminated":
        raise IllegalTransition("the contract is already terminated")
    if state == "rejected":
        raise IllegalTransition("a rejected contract was never in force and cannot be terminated")
    if effective is not None and on < effective:
        raise ValueError(
            f"the termination date {on.isoformat()} is before the contract starts ({effective.isoformat()})"
        )
    return "terminated"


def status(
    state: str,
    effective: date | None,
    expiration: date | None,
    perpetual: bool,
    auto_renew: bool,
    renewal: Period | None,
    today: date,
) -> str:
    """What the register shows: the approval state until approved, then the dates decide."""
    if state != "approved":
        return state
    if effective is not None and today < effective:
        return "pending_start"
    if perpetual or expiration is None or today <= expiration:
        return "active"
    if auto_renew and renewal is not None and term_end_on(expiration, auto_renew, renewal, today) >= today:
        return "renewed"
    return "expired"
