"""msp-sim."""
