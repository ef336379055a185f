"""Repatria web layer (see DESIGN.md)."""
