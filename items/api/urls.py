from django.urls import re_path

from defarm.api.routers import OptionalSlashRouter
from items.api import views

router = OptionalSlashRouter()
router.register("items", views.ItemViewSet, basename="item")
router.register("events", views.EventViewSet, basename="event")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("admin/conflicts", views.ConflictViewSet, basename="admin-conflict")

urlpatterns = [
    re_path(r"^items/local/?$", views.LocalItemCreateView.as_view(), name="item-local-create"),
    re_path(r"^items/local/merge/?$", views.LocalItemMergeView.as_view(), name="item-local-merge"),
    re_path(
        r"^items/local/duplicates/?$",
        views.LocalDuplicatesView.as_view(),
        name="item-local-duplicates",
    ),
    re_path(
        r"^items/local/organize/?$", views.LocalOrganizeView.as_view(), name="item-local-organize"
    ),
    re_path(
        r"^items/local/unmerge/?$", views.LocalItemUnmergeView.as_view(), name="item-local-unmerge"
    ),
    re_path(
        r"^items/pending/?$",
        views.PendingItemViewSet.as_view({"get": "list"}),
        name="item-pending-list",
    ),
    re_path(
        r"^items/pending/(?P<pending_id>[^/]+)/?$",
        views.PendingItemViewSet.as_view({"get": "retrieve"}),
        name="item-pending-detail",
    ),
    re_path(
        r"^items/pending/(?P<pending_id>[^/]+)/resolve/?$",
        views.PendingItemViewSet.as_view({"post": "resolve"}),
        name="item-pending-resolve",
    ),
    re_path(
        r"^items/mapping/(?P<local_id>[^/]+)/?$",
        views.LocalMappingView.as_view(),
        name="item-local-mapping",
    ),
    re_path(
        r"^items/shared-to/(?P<user_id>[^/]+)/?$",
        views.ItemSharesViewSet.as_view({"get": "shared_to"}),
        name="item-shared-to",
    ),
    re_path(
        r"^items/(?P<dfid>[^/]+)/share/?$",
        views.ItemSharesViewSet.as_view({"post": "share"}),
        name="item-share",
    ),
    re_path(
        r"^items/(?P<dfid>[^/]+)/shared-with/(?P<user_id>[^/]+)/?$",
        views.ItemSharesViewSet.as_view({"get": "shared_with", "delete": "revoke"}),
        name="item-shared-with",
    ),
    *router.urls,
]
