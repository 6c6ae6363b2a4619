"""Public snapshot routes (under ``/api/``)."""

from django.urls import re_path

from snapshots.api import views

DFID = r"(?P<dfid>[^/]+)"

urlpatterns = [
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
