"""Test helpers shared by the library and the services (fixtures, transports, builders)."""
