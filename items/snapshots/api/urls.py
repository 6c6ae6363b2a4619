"""Public snapshot routes and the timeline (under ``/api/``)."""

from django.urls import re_path

from items.snapshots.api import views

DFID = r"(?P<dfid>[^/]+)"

urlpatterns = [
    re_path(r"^content/(?P<cid>[^/]+)/?$", views.ContentView.as_view(), name="content"),
    re_path(
        r"^public/content/(?P<cid>[^/]+)/?$",
        views.PublicContentView.as_view(),
        name="public-content",
    ),
    re_path(rf"^items/{DFID}/timeline/?$", views.ItemTimelineView.as_view(), name="item-timeline"),
    re_path(
        rf"^items/{DFID}/timeline/(?P<sequence>[^/]+)/?$",
        views.ItemTimelineEntryView.as_view(),
        name="item-timeline-entry",
    ),
    re_path(
        r"^timeline/indexing-progress/(?P<network>[^/]+)/?$",
        views.IndexingProgressView.as_view(),
        name="timeline-indexing-progress",
    ),
    re_path(
        rf"^public/snapshots/items/{DFID}/snapshots/?$",
        views.PublicItemSnapshotsView.as_view(),
        name="public-item-snapshots",
    ),
    re_path(
        rf"^public/snapshots/items/{DFID}/snapshots/latest/?$",
        views.PublicItemSnapshotLatestView.as_view(),
        name="public-item-snapshot-latest",
    ),
]
