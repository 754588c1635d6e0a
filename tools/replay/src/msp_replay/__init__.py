"""msp-replay."""
