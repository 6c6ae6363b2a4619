from django.urls import re_path

from adapters.api import views
from defarm.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("admin/adapters", views.AdapterConfigViewSet, basename="admin-adapter")

DFID = r"(?P<dfid>[^/]+)"
ADAPTER_TYPE = r"(?P<adapter_type>[^/]+)"

urlpatterns = [
    # Adapters (the engine's /api/adapters routes)
    re_path(r"^adapters/?$", views.AdapterTypeListView.as_view(), name="adapter-types"),
    re_path(r"^adapters/select/?$", views.AdapterSelectView.as_view(), name="adapter-select"),
    re_path(
        r"^adapters/templates/?$", views.AdapterTemplatesView.as_view(), name="adapter-templates"
    ),
    re_path(
        rf"^adapters/{ADAPTER_TYPE}/status/?$",
        views.AdapterStatusView.as_view(),
        name="adapter-status",
    ),
    re_path(
        rf"^adapters/{ADAPTER_TYPE}/health/?$",
        views.AdapterHealthView.as_view(),
        name="adapter-health",
    ),
    # Storage history (the engine's /api/storage-history routes)
    re_path(
        r"^storage-history/statistics/?$",
        views.StorageStatisticsView.as_view(),
        name="storage-history-statistics",
    ),
    re_path(
        rf"^storage-history/{DFID}/?$", views.StorageHistoryView.as_view(), name="storage-history"
    ),
    re_path(
        rf"^storage-history/{DFID}/locations/?$",
        views.StorageLocationsView.as_view(),
        name="storage-history-locations",
    ),
    re_path(
        rf"^storage-history/{DFID}/migrate/?$",
        views.StorageMigrateView.as_view(),
        name="storage-history-migrate",
    ),
    re_path(
        rf"^storage-history/{DFID}/primary/?$",
        views.StoragePrimaryView.as_view(),
        name="storage-history-primary",
    ),
    re_path(
        rf"^public/storage-history/{DFID}/?$",
        views.PublicStorageHistoryView.as_view(),
        name="public-storage-history",
    ),
    re_path(
        rf"^items/{DFID}/storage-history/?$",
        views.ItemStorageHistoryView.as_view(),
        name="item-storage-history",
    ),
    # The earlier engine's test route, staff only here
    re_path(r"^test/test-push/?$", views.TestPushView.as_view(), name="adapter-test-push"),
    *router.urls,
]
