"""Wearable integrations: one module per vendor behind the one `Adapter` interface (see base.py)."""
