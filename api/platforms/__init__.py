"""Platform connectors: webhook parsing in, `Publisher` implementations out (Meta, X, generic)."""
