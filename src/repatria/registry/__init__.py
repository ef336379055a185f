"""Repatria registry layer (see DESIGN.md)."""
