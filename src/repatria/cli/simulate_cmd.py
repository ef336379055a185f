"""``repatria simulate ...``: synthetic cases with known truth."""

from __future__ import annotations

from pathlib import Path

import typer

from repatria.cli.output import command, console

app = typer.Typer(
    help="Simulate cases with known truth (published frequencies, realistic relatives).",
    no_args_is_help=True,
)


@app.command("dvi")
@command
def dvi(
    out: Path = typer.Argument(..., help="Folder to write the case into (created)."),
    victims: int = typer.Option(..., "--victims", min=1, help="Number of PM samples."),
    families: int = typer.Option(
        ..., "--families", min=1, help="Number of reference families (one MP each)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same case."),
    markers: int = typer.Option(23, "--markers", min=1, max=24, help="Number of STR markers."),
) -> None:
    """Write a DVI case: pm.tsv, am.tsv, missing.txt, markers.json, pairings.json and truth.json."""
    from repatria.services.pipelines.simulation import write_simulated_case

    path = write_simulated_case(victims, families, seed, out, markers)
    console.print(
        f"wrote {path} ({victims} PM samples, {families} families, {markers} markers, seed {seed})"
    )


@app.command("population")
@command
def population(
    out: Path = typer.Argument(..., help="Folder to write the case into (created)."),
    pm: int = typer.Option(..., "--pm", min=0, help="Number of PM samples (fragments included)."),
    families: int = typer.Option(
        ..., "--families", min=0, help="Number of reference families (one MP each)."
    ),
    markers: int = typer.Option(
        24, "--markers", min=1, max=40, help="Number of STR markers (norSTR East Asia)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same case."),
) -> None:
    """Write a screening-scale case folder and truth.json (truth and fragments)."""
    from repatria.services.pipelines.simulation import write_population_case

    path = write_population_case(pm, families, seed, out, markers)
    console.print(
        f"wrote {path} ({pm} PM samples, {families} families, {markers} markers, seed {seed})"
    )
