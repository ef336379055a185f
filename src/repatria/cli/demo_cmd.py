"""``repatria demo``: the quickstart's main job on the bundled demo case."""

from __future__ import annotations

from repatria.cli.output import command, console


@command
def demo() -> None:
    """Run the bundled demo: identify remains against reference families and print the result."""
    from repatria.services.demo import run_demo

    run_demo(console)
