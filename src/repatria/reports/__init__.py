"""Repatria reports layer (see DESIGN.md)."""
