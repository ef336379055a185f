"""Read-only views for the pages, the API and the reports: what a person at a screen needs to see.

Each function opens one transaction, checks the reader's role (the read permissions of
:mod:`repatria.services.access.permissions`), reads, and returns plain dataclasses; none
writes anything but audit entries. Reads of genetic evidence (match details, per-marker LRs,
pedigrees with typed relatives) and of family contacts are audited (who, what, when), never
with the genotypes themselves.

One module per resource: ``overview`` (the dashboard), ``persons``, ``remains``, ``matches``,
``queue`` (review), ``families`` (notifications), ``handovers`` (repatriations) and ``case``
(the case summary); ``wording`` puts LRs and posteriors into words for families.
"""

from repatria.services.views.case import all_log10_lrs, identifications
from repatria.services.views.families import (
    NotificationsPage,
    NotificationsView,
    NotificationTask,
    notifications_page,
    notifications_view,
)
from repatria.services.views.handovers import (
    RepatriationsView,
    RepatriationView,
    repatriations_page,
    repatriations_view,
)
from repatria.services.views.matches import (
    Alternative,
    MarkerRow,
    MatchDetail,
    PedigreeNode,
    match_detail,
)
from repatria.services.views.overview import Dashboard, dashboard
from repatria.services.views.persons import (
    PersonDetail,
    PersonSummary,
    person_detail,
    persons_csv,
    search_persons,
)
from repatria.services.views.queue import (
    QueueItem,
    ReviewQueue,
    ReviewQueuePage,
    review_queue,
    review_queue_page,
)
from repatria.services.views.remains import (
    RemainsDetail,
    RemainsSummary,
    list_remains,
    remains_detail,
)
from repatria.services.views.wording import describe_lr, describe_posterior

__all__ = [
    "Dashboard",
    "PersonSummary",
    "PersonDetail",
    "RemainsSummary",
    "RemainsDetail",
    "MarkerRow",
    "Alternative",
    "PedigreeNode",
    "MatchDetail",
    "QueueItem",
    "ReviewQueue",
    "NotificationTask",
    "NotificationsView",
    "RepatriationView",
    "RepatriationsView",
    "dashboard",
    "search_persons",
    "persons_csv",
    "person_detail",
    "list_remains",
    "remains_detail",
    "match_detail",
    "review_queue",
    "review_queue_page",
    "ReviewQueuePage",
    "notifications_view",
    "notifications_page",
    "NotificationsPage",
    "repatriations_view",
    "repatriations_page",
    "identifications",
    "all_log10_lrs",
    "describe_lr",
    "describe_posterior",
]
