"""msp-ingest."""
