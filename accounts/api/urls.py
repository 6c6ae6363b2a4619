from django.urls import re_path

from accounts.api import views
from defarm.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("admin/users", views.StaffUserViewSet, basename="staff-user")
router.register("admin/actions", views.AdminActionViewSet, basename="admin-action")

urlpatterns = [
    re_path(r"^auth/register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/login/?$", views.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", views.RefreshView.as_view(), name="auth-refresh"),
    *router.urls,
]
