"""The application: the REST API under ``/api/v1`` and the pages, over one registry database."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from repatria import __version__
from repatria.api.docs import install_docs
from repatria.api.errors import install_error_handlers
from repatria.api.headers import SecurityHeaders
from repatria.api.input_guard import reject_nul
from repatria.api.routes import router as api_router
from repatria.api.routes_admin import router as admin_router
from repatria.api.routes_bodies import router as bodies_api_router
from repatria.api.routes_custody import router as custody_api_router
from repatria.api.routes_jobs import router as jobs_router
from repatria.api.routes_lists import router as lists_router
from repatria.api.routes_notification import router as notification_router
from repatria.api.routes_persons import router as persons_router
from repatria.api.routes_policy import router as policy_api_router
from repatria.api.routes_power import router as power_api_router
from repatria.api.schemas import SafeJSONResponse
from repatria.api.security import PUBLIC

__all__ = ["create_app", "served_app", "API_PREFIX", "SERVE_DB_VAR"]

API_PREFIX = "/api/v1"
#: The database of ``repatria serve --workers N`` (each worker process builds its own app).
SERVE_DB_VAR = "REPATRIA_SERVE_DB"


def served_app() -> FastAPI:
    """The app of one ``repatria serve`` worker process: the server's checks, then the app."""
    import os

    from repatria.services.workflows.setup import prepare_server

    db = os.environ.get(SERVE_DB_VAR) or None
    prepare_server(db)
    app = create_app(db)
    settle_heap()
    return app


def settle_heap() -> None:
    """Load what every request shares (the map's outlines) and freeze the heap as it stands,
    once, when a server starts.

    What a server holds for its life (modules, mappers, templates, outlines) is then no longer
    walked by every full garbage collection: on a registry of 10^4 persons those collections
    paused one request in five by 100-300 ms (``benchmarks/page_times.py``).
    """
    import gc

    from repatria.web.map_svg import countries

    countries()
    gc.collect()
    gc.freeze()


def create_app(db: str | None = None) -> FastAPI:
    """An app serving the registry at ``db`` (a SQLAlchemy URL or a SQLite path; None: the default).

    The database must be initialised (``repatria db init``); the first request says so if not.
    """
    from repatria.web.pages import router as web_router
    from repatria.web.pages_admin import router as admin_pages
    from repatria.web.pages_bodies import router as bodies_web_router
    from repatria.web.pages_custody import router as custody_pages
    from repatria.web.pages_jobs import router as jobs_pages
    from repatria.web.pages_lists import router as lists_pages
    from repatria.web.pages_map import router as map_pages
    from repatria.web.pages_notification import router as notification_pages
    from repatria.web.pages_policy import router as policy_pages_router
    from repatria.web.pages_power import router as power_pages
    from repatria.web.render import mount_static

    app = FastAPI(
        title="Repatria",
        version=__version__,
        description="Identification of the dead by DNA, and their way home. Every route needs a "
        "bearer token (POST /api/v1/auth/token) and a role.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        default_response_class=SafeJSONResponse,
        dependencies=[Depends(reject_nul)],
    )
    app.state.db = db
    install_error_handlers(app)
    install_docs(app, prefix=API_PREFIX, public=PUBLIC)
    app.include_router(api_router, prefix=API_PREFIX)
    for router in (
        bodies_api_router,
        jobs_router,
        admin_router,
        notification_router,
        persons_router,
        lists_router,
        policy_api_router,
        custody_api_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(power_api_router, prefix=API_PREFIX)
    for pages in (
        web_router,
        bodies_web_router,
        jobs_pages,
        map_pages,
        admin_pages,
        notification_pages,
        lists_pages,
        policy_pages_router,
        custody_pages,
    ):
        app.include_router(pages, include_in_schema=False)
    app.include_router(power_pages, include_in_schema=False)
    mount_static(app)
    app.add_middleware(SecurityHeaders, docs_path=f"{API_PREFIX}/docs")
    return app
