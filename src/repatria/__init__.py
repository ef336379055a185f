"""Repatria: identify the dead by DNA kinship, account for every one of them, and track their way
home."""

__version__ = "0.1.0"
