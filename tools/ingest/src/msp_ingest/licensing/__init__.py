"""Licence exports (Pax8 subscriptions, Microsoft Graph subscribedSkus and sign-in activity)."""

from __future__ import annotations

from msp_ingest.options import Kind

KINDS: list[Kind] = []
