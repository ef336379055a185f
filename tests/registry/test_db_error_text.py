"""Issue 16: a database error's statement and parameters reach no message and no log line.

One function makes the text (``registry.db_errors.db_error_line``); engines hide parameters;
the CLI and the API turn an escaped database error into that one line. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from repatria.api.errors import install_error_handlers
from repatria.cli.output import cli_errors
from repatria.errors import RegistryError
from repatria.registry.db import db_error_line, get_engine, session_scope
from repatria.registry.models import Genotype, Profile, Remains, Sample

SECRET = "23.3-SECRET-ALLELE"


def _genotype_error(db: str) -> IntegrityError:
    """A real IntegrityError whose statement carries a genotype (a profile that is not there)."""
    with pytest.raises(IntegrityError) as e:
        with session_scope(db) as s:
            s.add(Genotype(profile_id=999999, marker="D8S1179", allele1=SECRET, allele2="13"))
            s.flush()
    return e.value


def _clean(text: str) -> None:
    assert SECRET not in text, text
    assert "INSERT INTO" not in text and "[SQL" not in text and "[parameters" not in text, text


def test_the_error_line_has_no_statement_and_no_values(registry_db: str) -> None:
    e = _genotype_error(registry_db)
    assert SECRET not in str(e)  # hide_parameters: even SQLAlchemy's own text is clean
    line = db_error_line(e, registry_db)
    _clean(line)
    assert "\n" not in line and "refused" in line


def test_engine_logging_never_shows_parameters(
    registry_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        get_engine(registry_db).echo = False  # what an operator's logging config turns on
        with session_scope(registry_db) as s:
            r = Remains(ref="R-log", condition="unknown", status="recovered")
            s.add(r)
            s.flush()
            smp = Sample(ref="S-log", kind="pm", remains_id=r.id)
            s.add(smp)
            s.flush()
            p = Profile(sample_id=smp.id)
            s.add(p)
            s.flush()
            s.add(Genotype(profile_id=p.id, marker="TH01", allele1=SECRET, allele2="9"))
    assert "INSERT INTO genotypes" in caplog.text  # the statement is logged at INFO...
    assert SECRET not in caplog.text  # ...never its values


def test_a_nul_or_overlong_value_on_postgresql_is_one_clean_line(registry_db: str) -> None:
    if registry_db.startswith("sqlite"):
        pytest.skip("SQLite stores NUL characters and any length; the readers refuse them")
    for bad in (SECRET + "\x00", SECRET * 5):
        with pytest.raises(RegistryError) as e:
            with session_scope(registry_db) as s:
                s.add(Remains(ref="R-x", condition="unknown", status="recovered", notes=SECRET))
                s.flush()
                s.add(Remains(ref=bad, condition="unknown", status="recovered"))
                s.flush()
        _clean(str(e.value))
        assert "\n" not in str(e.value)


def test_the_cli_prints_an_escaped_database_error_in_one_line(
    registry_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _genotype_error(registry_db)
    with pytest.raises(typer.Exit):
        with cli_errors():
            raise err
    out = capsys.readouterr()
    _clean(out.err + out.out)
    assert out.err.startswith("error: the database refused the operation")
    assert "Traceback" not in out.err


def test_the_api_answers_and_logs_an_escaped_database_error_in_one_line(
    registry_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    err = _genotype_error(registry_db)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise err

    # raise_server_exceptions: an error re-raised to the server (whose log prints its text)
    # would fail the request here.
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=True) as c:
        r = c.get("/api/v1/boom")
    assert r.status_code == 500
    _clean(r.text)
    _clean(caplog.text)
    assert "database error" in caplog.text and "boom" in caplog.text  # the frames are kept
