from browser_support import page, server  # noqa: F401  (the browser fixtures)

from surface_fixtures import *  # noqa: F401,F403  (surface_db, app_client: the surface case)
