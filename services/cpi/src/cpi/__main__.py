"""``python -m cpi serve|migrate|recompute-ledger``."""

import sys

from msp_events.runtime.cli import service_cli

from cpi.app import create_app, create_service


def recompute() -> None:
    """Rebuild the whole month ledger set-wise from the fact tables (one transaction)."""
    from sqlmodel import Session

    from cpi.store.ledger import recompute_ledger

    service = create_service()
    with Session(service.engine) as session:
        pairs = recompute_ledger(session)
        session.commit()
    print(f"cpi: ledger recomputed for {pairs} client months")


if len(sys.argv) > 1 and sys.argv[1] == "recompute-ledger":
    recompute()
else:
    service_cli(create_service, create_app)
