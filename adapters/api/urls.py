from django.urls import re_path

from adapters.api import views
from defarm.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("admin/adapters", views.AdapterConfigViewSet, basename="admin-adapter")

DFID = r"(?P<dfid>[^/]+)"

urlpatterns = [
    re_path(r"^adapters/?$", views.AdapterTypeListView.as_view(), name="adapter-types"),
    re_path(
        rf"^items/{DFID}/storage-history/?$",
        views.ItemStorageHistoryView.as_view(),
        name="item-storage-history",
    ),
    re_path(
        rf"^storage-history/{DFID}/?$",
        views.ItemStorageHistoryView.as_view(),
        name="storage-history",
    ),
    re_path(
        rf"^items/{DFID}/storage/migrate/?$",
        views.ItemStorageMigrateView.as_view(),
        name="item-storage-migrate",
    ),
    re_path(
        rf"^storage-history/{DFID}/migrate/?$",
        views.ItemStorageMigrateView.as_view(),
        name="storage-history-migrate",
    ),
    re_path(
        rf"^public/items/{DFID}/storage-history/?$",
        views.PublicItemStorageHistoryView.as_view(),
        name="public-item-storage-history",
    ),
    *router.urls,
]
