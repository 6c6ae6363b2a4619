"""Snapshot routes mounted at the root (no ``/api`` prefix), as the earlier engine served
them."""

from django.urls import re_path

from items.snapshots.api import views

DFID = r"(?P<dfid>[^/]+)"
CIRCUIT_ID = r"(?P<circuit_id>[^/]+)"
SNAPSHOT_ID = r"(?P<snapshot_id>[^/]+)"

urlpatterns = [
    re_path(
        rf"^items/{DFID}/snapshots/?$", views.ItemSnapshotsView.as_view(), name="item-snapshots"
    ),
    re_path(
        rf"^items/{DFID}/snapshots/latest/?$",
        views.ItemSnapshotLatestView.as_view(),
        name="item-snapshot-latest",
    ),
    re_path(
        rf"^items/{DFID}/snapshots/{SNAPSHOT_ID}/?$",
        views.ItemSnapshotDetailView.as_view(),
        name="item-snapshot-detail",
    ),
    re_path(
        rf"^circuits/{CIRCUIT_ID}/snapshots/?$",
        views.CircuitSnapshotsView.as_view(),
        name="circuit-snapshots",
    ),
    re_path(
        rf"^circuits/{CIRCUIT_ID}/snapshots/latest/?$",
        views.CircuitSnapshotLatestView.as_view(),
        name="circuit-snapshot-latest",
    ),
    re_path(
        rf"^circuits/{CIRCUIT_ID}/snapshots/{SNAPSHOT_ID}/?$",
        views.CircuitSnapshotDetailView.as_view(),
        name="circuit-snapshot-detail",
    ),
]
