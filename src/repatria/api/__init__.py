"""Repatria api layer (see DESIGN.md)."""
