"""Jinja2 environment, page rendering and the static files (no build step, nothing downloaded)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from repatria.services.views import wording

__all__ = ["templates", "render", "render_error", "mount_static", "NAV"]

_HERE = Path(__file__).parent

templates = Environment(
    loader=FileSystemLoader(str(_HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# (path, label, action whose roles see the link)
NAV = (
    ("/", "Dashboard", "dashboard.view"),
    ("/persons", "Missing persons", "persons.read"),
    ("/remains", "Remains", "remains.read"),
    ("/bodies", "Bodies", "remains.read"),
    ("/map", "Map", "remains.read"),
    ("/review", "Review queue", "review.queue"),
    ("/runs", "Runs", "jobs.view"),
    ("/notifications", "Notifications", "notifications.view"),
    ("/repatriations", "Repatriations", "repatriations.view"),
    ("/flagged", "Flagged by consent", "flagged.read"),
    ("/accounting", "Accounting", "account.view"),
    ("/users", "Users", "users.add"),
    ("/audit", "Audit", "audit.read"),
)


def _lr(log10_lr: Any) -> str:
    """An LR for people, by its log10: its size in words and its log10 (services wording)."""
    return "—" if log10_lr is None else wording.lr_words(float(log10_lr))


def _marker_lr(v: Any) -> str:
    if v is None:
        return "—"
    v = float(v)
    if math.isinf(v):
        return "∞"
    return f"{v:.4g}"


def _prob(p: Any) -> str:
    """A probability as a percentage in sensible precision, never "2.459e-10"."""
    return "—" if p is None else wording.percent(float(p))


def _lr_value(lr: Any) -> str:
    """A plain LR (not its log) in the shared wording."""
    if lr is None:
        return "—"
    x = float(lr)
    return wording.lr_words(-math.inf if x == 0 else math.log10(x) if x > 0 else math.nan)


templates.filters.update(
    lr=_lr, marker_lr=_marker_lr, prob=_prob, label=lambda s: (s or "").replace("_", " ")
)
# Numbers in words and sensible precision (issue 18), one rule in services.views.wording.
templates.filters.update(lr_words=wording.lr_words, percent=wording.percent, lr_value=_lr_value)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from repatria.services.access.permissions import roles_for

    caller = getattr(request.state, "caller", None)
    nav = [(p, label) for p, label, action in NAV if caller and caller.role in roles_for(action)]

    def can(action: str) -> bool:
        """Whether the caller's role may perform ``action``: pages offer only what works."""
        return caller is not None and caller.role in roles_for(action)

    html = templates.get_template(template).render(
        request=request, caller=caller, nav=nav, path=request.url.path, can=can, **context
    )
    return HTMLResponse(html, status_code=status_code)


def render_error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(
        request, "error.html", status_code=status, title=title, message=message, status=status
    )


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
