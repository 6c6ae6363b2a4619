from django.urls import re_path

from accounts.api import views
from accounts.api.activity_views import UserActivityViewSet
from accounts.api.workspace_views import WorkspaceViewSet
from defarm.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("admin/users", views.StaffUserViewSet, basename="staff-user")
router.register("admin/actions", views.AdminActionViewSet, basename="admin-action")
router.register("user-activity", UserActivityViewSet, basename="user-activity")

workspaces = WorkspaceViewSet.as_view
WORKSPACE = r"workspaces/(?P<workspace_id>[^/]+)"

urlpatterns = [
    # §8.20 workspaces; /user/{user_id} before the pattern that would take "user" for an id.
    re_path(
        r"^workspaces/?$",
        workspaces({"get": "list", "post": "create"}),
        name="workspace-list",
    ),
    re_path(
        r"^workspaces/user/(?P<user_id>[^/]+)/?$",
        workspaces({"get": "of_user"}),
        name="workspace-user",
    ),
    re_path(
        rf"^{WORKSPACE}/?$",
        workspaces({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="workspace-detail",
    ),
    re_path(
        rf"^{WORKSPACE}/members/?$",
        workspaces({"get": "members", "post": "member_add"}),
        name="workspace-members",
    ),
    re_path(
        rf"^{WORKSPACE}/members/(?P<user_id>[^/]+)/?$",
        workspaces({"put": "member_update", "delete": "member_remove"}),
        name="workspace-member",
    ),
    re_path(rf"^{WORKSPACE}/stats/?$", workspaces({"get": "stats"}), name="workspace-stats"),
    re_path(
        r"^admin/dashboard/stats/?$", views.DashboardStatsView.as_view(), name="admin-dashboard"
    ),
    re_path(
        r"^notifications/ws/?$",
        views.NotificationSocketView.as_view(),
        name="notification-socket",
    ),
    re_path(r"^auth/register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/login/?$", views.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", views.RefreshView.as_view(), name="auth-refresh"),
    re_path(
        r"^auth/forgot-password/?$",
        views.ForgotPasswordView.as_view(),
        name="auth-forgot-password",
    ),
    re_path(
        r"^auth/reset-password/?$", views.ResetPasswordView.as_view(), name="auth-reset-password"
    ),
    re_path(r"^auth/profile/?$", views.AuthProfileView.as_view(), name="auth-profile"),
    *router.urls,
]
