"""Repatria services layer (see DESIGN.md)."""
