"""Licence exports (Pax8 subscriptions, Microsoft Graph subscribedSkus and sign-in activity)."""

from __future__ import annotations

from msp_ingest.licensing.graph import GraphSubscribedSkus, GraphUsers
from msp_ingest.licensing.pax8 import Pax8Subscriptions
from msp_ingest.options import Kind

KINDS: list[Kind] = [
    Kind(
        "pax8.subscriptions",
        "Pax8 subscriptions (API `content` JSON or CSV); --set company_map=, sku_map=, vendor=",
        lambda options: Pax8Subscriptions(options),
    ),
    Kind(
        "graph.subscribed-skus",
        "Microsoft Graph subscribedSkus of one tenant (--client), joined to --set pax8=FILE",
        lambda options: GraphSubscribedSkus(options),
    ),
    Kind(
        "graph.users",
        "Microsoft Graph users with assignedLicenses and signInActivity of one tenant (--client)",
        lambda options: GraphUsers(options),
    ),
]
