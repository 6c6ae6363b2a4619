"""Permission classes shared by the apps' views."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiKey, ApiKeyPermission


def is_api_key_request(request) -> bool:
    return isinstance(request.auth, ApiKey)


class IsStaff(BasePermission):
    """Staff only (``is_admin``). An API key caller also needs a key with ``admin``."""

    message = "Only staff may do this; an API key also needs the admin permission."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_admin):
            return False
        if is_api_key_request(request):
            return ApiKeyPermission.ADMIN in request.auth.permissions
        return True


class ApiKeysReadOnly(BasePermission):
    """API keys may read but not manage keys: a key must not mint a key with wider rights."""

    message = "API keys are managed with a login (JWT or session), not with an API key."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not is_api_key_request(request)
