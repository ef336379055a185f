"""Repatria registry layer (see DESIGN.md)."""

# The credential tables share the models' metadata; importing them here keeps every user of
# ``Base.metadata`` (migrations, drift checks, accounting's table counts) seeing all tables.
from repatria.registry import auth as _auth  # noqa: E402,F401

# The search index's flush hook (every session rewrites the keys of the persons it changes).
from repatria.registry import search_index as _search_index  # noqa: E402,F401
