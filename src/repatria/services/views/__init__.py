"""Read-only views for the pages, the API and the reports."""

from repatria.services.views.matches import *  # noqa: F401,F403
from repatria.services.views.matches import __all__  # noqa: F401
