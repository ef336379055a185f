from surface_fixtures import *  # noqa: F401,F403  (surface_db, app_client: the surface case)
