"""VCM's document-register decisions, with hand-checked expectations (no database, no broker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from vcm.domain.documents import ReceivedDocument, fingerprint, is_first_receipt, received

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"  # the published digest
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def receipt(content: bytes = b"hello", **changes: object) -> ReceivedDocument:
    base = received(
        content,
        document_id="DOC-1",
        contract_id=None,
        document_kind="contract",
        vendor_name="Acme",
        client_id=None,
        file_name="Acme-MSA.txt",
        media_type="text/plain",
        received_at=T0,
        uploaded_by=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_fingerprint_is_the_sha256_of_the_bytes() -> None:
    assert fingerprint(b"hello") == HELLO_SHA256
    assert fingerprint(b"") == EMPTY_SHA256
    assert fingerprint(b"hello ") != HELLO_SHA256


def test_a_receipt_keeps_the_fingerprint_and_size_not_the_bytes() -> None:
    document = receipt(b"hello")
    assert (document.sha256, document.size_bytes) == (HELLO_SHA256, 5)
    assert b"hello" not in [getattr(document, f) for f in document.__dataclass_fields__]


def test_unknown_content_is_recorded() -> None:
    assert is_first_receipt(receipt(), None)


def test_identical_content_received_again_is_not_recorded_twice() -> None:
    first = receipt()
    assert not is_first_receipt(receipt(), first)  # the very same receipt
    later_copy = receipt(document_id="DOC-2", file_name="fwd-Acme-MSA.txt", received_at=T0.replace(hour=10))
    assert not is_first_receipt(later_copy, first)


def test_an_earlier_receipt_of_the_same_content_becomes_the_record_whatever_arrives_first() -> None:
    early, late = receipt(document_id="DOC-9"), receipt(document_id="DOC-2", received_at=T0.replace(hour=10))
    assert is_first_receipt(early, late)
    assert not is_first_receipt(late, early)


def test_receipts_at_the_same_time_go_to_the_smaller_document_id() -> None:
    a, b = receipt(document_id="DOC-1"), receipt(document_id="DOC-2")
    assert is_first_receipt(a, b) and not is_first_receipt(b, a)


def test_receipts_of_different_content_are_not_comparable() -> None:
    with pytest.raises(ValueError, match="same content"):
        is_first_receipt(receipt(b"hello"), receipt(b"other"))
