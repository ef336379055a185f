"""Repatria formats layer (see DESIGN.md)."""
