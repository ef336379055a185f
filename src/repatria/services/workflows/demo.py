"""The quickstart demo (``make demo``): the bundled scenario loaded into a fresh SQLite file.

The scenario itself is :func:`repatria.services.workflows.demo_scenario.load_demo`; this module only
decides where it goes: ``./repatria-demo.sqlite`` by default, deleted and recreated on each
run so the demo always starts from the same place. Only a SQLite file is ever deleted here,
never a server database.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from repatria.errors import ServiceError
from repatria.registry.db import dispose_engines
from repatria.services.workflows.demo_scenario import DemoSummary, load_demo

__all__ = ["DEMO_DATABASE", "fresh_demo"]

#: The demo's database file, in the working directory.
DEMO_DATABASE = "repatria-demo.sqlite"


def fresh_demo(path: str | Path = DEMO_DATABASE) -> DemoSummary:
    """Delete the SQLite file ``path`` (and its journals) if it exists; load the demo into it.

    The demo users get their passwords (``demo-NAME``) here, whether or not the demo is served,
    so a later ``repatria serve`` on the same file lets them log in.
    """
    p = Path(path)
    if "://" in str(path):
        raise ServiceError(
            "the demo is recreated in a SQLite file; give a file path, not a URL "
            "(to load it into another database, use "
            "repatria.services.workflows.demo_scenario.load_demo)"
        )
    if p.is_dir():
        raise ServiceError(f"{p} is a directory; give the demo database a file name")
    dispose_engines()  # no pooled connection may keep the old file open
    for f in (
        p,
        p.with_name(p.name + "-journal"),
        p.with_name(p.name + "-wal"),
        p.with_name(p.name + "-shm"),
    ):
        f.unlink(missing_ok=True)
    from repatria.services.access.auth import set_demo_passwords

    summary = load_demo(str(p))
    passwords = set_demo_passwords(str(p), [name for name, _role in summary.users])
    return dataclasses.replace(summary, passwords=passwords)
