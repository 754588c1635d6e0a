pytest_plugins = ["msp_events.testing.infra"]
