"""Plain helpers shared by the test packages: scratch databases, data factories, local servers (no fixtures)."""
