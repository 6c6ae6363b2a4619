from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api import serializers
from accounts.models import User, UserStatus
from accounts.services import api_keys as api_key_services
from accounts.services import notifications as notification_services
from accounts.services import password_reset as password_reset_services
from accounts.services import staff as staff_services
from accounts.services.users import user_login, user_register
from accounts.tokens import SessionExpired, jwt_issue, jwt_session_started_at
from defarm.api.authentication import JWTAuthentication
from defarm.api.envelopes import message, success_data, success_with
from defarm.api.exceptions import ApiError
from defarm.api.pagination import LimitOffsetPagination
from defarm.api.permissions import ApiKeysReadOnly, IsStaff
from defarm.api.throttling import AuthRateThrottle

UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"


def _token_body(user: User, *, session_started_at: int | None = None) -> dict:
    try:
        token, expires_at = jwt_issue(user=user, session_started_at=session_started_at)
    except SessionExpired:
        raise ApiError(
            "The session is older than the longest a session may last; log in again.",
            code="session_expired",
            status_code=401,
        ) from None
    return serializers.TokenSerializer(
        {
            "token": token,
            "user_id": user.user_id,
            "workspace_id": user.workspace_id,
            "expires_at": int(expires_at.timestamp()),
        }
    ).data


class EnvelopedListSchema(AutoSchema):
    """The list of a view answered inside an envelope object (``{success, data, count}``,
    ``{success, users, count}``), not as a bare array: documented as the object it is."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


PAGING_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 100, at most 1,000)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]


def _with_paging_headers(response: Response, paginator) -> Response:
    """``X-Total-Count`` and ``Link`` of a page answered inside an envelope."""
    for name, value in paginator.get_headers().items():
        response[name] = value
    return response


def _bool_param(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ApiError(f"Expected true or false, got {value!r}.", code="validation_error")


# --- Authentication -------------------------------------------------------------------------


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=serializers.RegisterSerializer,
        responses={200: serializers.TokenSerializer},
        auth=[],
        summary="Create an account (100 welcome credits) and get a token",
        description="409 `conflict` when the username or e-mail is taken; 400 when the "
        "password is weaker than 8 characters with upper and lower case, a digit and a symbol.",
    )
    def post(self, request):
        data = serializers.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(_token_body(user))


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=serializers.LoginSerializer,
        responses={200: serializers.TokenSerializer},
        auth=[],
        summary="Exchange a username and password for a token",
        description="401 `invalid_credentials` for an unknown user or a wrong password; 403 "
        "`account_inactive` when the account is not Active. `workspace_id` in the body is "
        "accepted and ignored.",
    )
    def post(self, request):
        data = serializers.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_login(**data.validated_data)
        return Response(_token_body(user))


class RefreshView(APIView):
    """A new token for the bearer of a valid JWT (API keys cannot mint tokens)."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: serializers.TokenSerializer},
        summary="A new token of the same session (never past the session's end)",
    )
    def post(self, request):
        started = jwt_session_started_at(request.auth)
        return Response(_token_body(request.user, session_started_at=started))


FORGOT_PASSWORD_ANSWER = "If the account exists, password reset instructions have been sent."
RESET_PASSWORD_ANSWER = "Password reset successful. You can now log in with your new password."


class ForgotPasswordView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=serializers.ForgotPasswordSerializer,
        responses={200: serializers.MessageSerializer},
        examples=[
            OpenApiExample("By e-mail", value={"email": "maria@example.com"}, request_only=True)
        ],
        auth=[],
        summary="E-mail a password reset token to an account",
        description="The same answer whether an account matches or not. `email` wins over "
        "`username`; 400 when neither is given; 429 after "
        "`PASSWORD_RESET_RATE_LIMIT_PER_HOUR` (3) requests naming the same e-mail or "
        "username in an hour. The token is only in the e-mail.",
    )
    def post(self, request):
        data = serializers.ForgotPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_services.password_reset_request(
            email=data.validated_data.get("email"), username=data.validated_data.get("username")
        )
        return message(FORGOT_PASSWORD_ANSWER)


class ResetPasswordView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=serializers.ResetPasswordSerializer,
        responses={200: serializers.MessageSerializer},
        examples=[
            OpenApiExample(
                "Reset",
                value={"token": "9f86d081884c7d65...", "new_password": "N3w-pasture!"},
                request_only=True,
            )
        ],
        auth=[],
        summary="Set a new password with the token from the reset e-mail",
        description="400 `invalid_token` for an unknown, used or expired token; 400 "
        "`validation_error` when the password breaks the rule (the token stays usable). "
        "Ends every session of the account: its earlier JWTs answer 401.",
    )
    def post(self, request):
        data = serializers.ResetPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_services.password_reset_confirm(
            token=data.validated_data["token"],
            new_password=data.validated_data["new_password"],
        )
        return message(RESET_PASSWORD_ANSWER)


class AuthProfileView(APIView):
    @extend_schema(
        responses=serializers.AuthProfileSerializer,
        summary="Who the token belongs to (the earlier engine's short profile)",
        description="`created_at` in Unix seconds. `/users/me/profile` gives the full "
        "profile with balance and limits.",
    )
    def get(self, request):
        return Response(serializers.AuthProfileSerializer(request.user).data)


# --- The current user: profile and credits (mounted at the root, as the engine did) -----------


class MyProfileView(APIView):
    @extend_schema(
        responses=serializers.ProfileSerializer,
        summary="The caller's account, balance and tier limits",
    )
    def get(self, request):
        profile = selectors.user_profile(user=request.user)
        return Response(serializers.ProfileSerializer(profile).data)


class CurrentCreditUserView(MyProfileView):
    @extend_schema(
        responses=serializers.ProfileSerializer,
        summary="The caller's account, balance and tier limits (same as /users/me/profile)",
        description="The path the earlier engine's front-end read the same answer from.",
    )
    def get(self, request):
        return super().get(request)


class MyCreditBalanceView(APIView):
    @extend_schema(
        responses=serializers.CreditBalanceSerializer,
        summary="The caller's credit balance",
    )
    def get(self, request):
        balance = selectors.user_credit_balance(user=request.user)
        return Response(serializers.CreditBalanceSerializer(balance).data)


class MyCreditCostsView(APIView):
    @extend_schema(
        responses=serializers.CreditCostsSerializer,
        summary="What each operation costs the caller, by tier",
    )
    def get(self, request):
        costs = {
            **selectors.user_operation_costs(user=request.user),
            "tier": request.user.tier,
        }
        return Response(serializers.CreditCostsSerializer(costs).data)


class CreditHistoryPagination(LimitOffsetPagination):
    default_limit = 50


class MyCreditHistoryView(APIView):
    pagination_class = CreditHistoryPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 50)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses=serializers.CreditHistorySerializer,
        summary="The caller's credit ledger, newest first",
        description="`X-Total-Count` gives the number of ledger rows and `Link` the "
        "neighbouring pages.",
    )
    def get(self, request):
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(
            selectors.credit_transactions_for(user=request.user), request, view=self
        )
        body = {
            "transactions": rows,
            "total_credits": selectors.user_credits(user=request.user),
        }
        return _with_paging_headers(
            Response(serializers.CreditHistorySerializer(body).data), paginator
        )


# --- Notifications ----------------------------------------------------------------------------


class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = serializers.NotificationSerializer
    schema = EnvelopedListSchema()
    lookup_field = "notification_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        return selectors.notifications_for(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.INT, description="Only those created at or after (Unix s)."
            ),
            OpenApiParameter("unread_only", OpenApiTypes.BOOL, description="Only unread ones."),
            *PAGING_PARAMETERS,
        ],
        responses=serializers.NotificationListSerializer,
        summary="The caller's notifications, newest first",
        description="`count` is the number in this answer; `X-Total-Count` the number "
        "matching, `Link` the neighbouring pages.",
    )
    def list(self, request):
        params = serializers.NotificationQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        notifications = selectors.notifications_for(
            user=request.user,
            unread=True if params.validated_data.get("unread_only") else None,
            since_ts=params.validated_data.get("since"),
        )
        paginator = self.paginator
        page = paginator.paginate_queryset(notifications, request, view=self)
        data = serializers.NotificationSerializer(page, many=True).data
        response = success_data(data, count=len(data))
        return _with_paging_headers(response, paginator)

    @extend_schema(
        request=None,
        responses=serializers.NotificationReadSerializer,
        summary="Mark one notification read",
    )
    @action(detail=True, methods=["patch"])
    def read(self, request, notification_id=None):
        notification = self.get_object()
        notification = notification_services.notification_mark_read(notification=notification)
        return success_data(serializers.NotificationSerializer(notification).data)

    @extend_schema(
        responses=serializers.SuccessMessageSerializer,
        summary="Delete one of the caller's notifications",
        description="Another user's notification, or one that does not exist, is a 404.",
    )
    def destroy(self, request, notification_id=None):
        notification_services.notification_delete(notification=self.get_object())
        return success_with(message="Notification deleted successfully")

    @extend_schema(
        request=None,
        responses=serializers.MarkedReadSerializer,
        summary="Mark all the caller's notifications read",
    )
    @action(detail=False, methods=["patch"], url_path="mark-all-read")
    def mark_all_read(self, request):
        changed = notification_services.notifications_mark_all_read(user=request.user)
        return success_with(marked_read=changed)

    @extend_schema(
        responses=serializers.UnreadCountSerializer,
        summary="How many of the caller's notifications are unread",
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return success_with(unread_count=selectors.notifications_unread_count(user=request.user))


NOTIFICATION_SOCKET_DESCRIPTION = """A WebSocket of the caller's notifications, pushed as they
are written (by any DeFarm process: the channel layer is Redis when `REDIS_URL` is set).

Connect with `GET /api/notifications/ws?token=<JWT>` and the WebSocket upgrade headers
(`Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`),
or send an API key in `X-API-Key` / `Authorization: Bearer dfm_...` instead of the token. The
server answers `101 Switching Protocols`, then sends JSON text frames:

- `{"type": "connected", "message": "WebSocket connected to notifications", "user_id": "..."}`
- `{"type": "unread_count", "count": 3}`
- `{"type": "notification", "data": {Notification, as in GET /api/notifications}}` for each
  new notification of the caller (never anyone else's)
- `{"type": "pong"}`, or `{"type": "error", "success": false, "error", "message"}`

The client may send `{"action": "mark_read", "notification_id": "..."}` or
`{"action": "mark_all_read"}` (answered with the new `unread_count`) and `{"action": "ping"}`.
Missing, invalid, expired or revoked credentials: the socket sends an `error` frame and is
closed with code 4401 (4403 when the API key may not be used here, 4429 over its rate limit).

An open socket is closed the same way (an `error` frame, then code 4401) when its credentials
stop being valid:

- `token_expired`: at the token's `exp` (`api_key_expired`: at the API key's expiry);
- `account_inactive`: staff froze (or erased) the account;
- `token_revoked`: a password change or reset ended all the account's sessions (a socket
  opened with an API key stays open);
- `api_key_inactive`: the API key the socket was opened with was revoked or deleted.

A request without the upgrade headers gets 426."""


class NotificationSocketView(APIView):
    """``GET /api/notifications/ws`` without a WebSocket upgrade (the upgrade itself is served
    by ``accounts.api.websocket.NotificationConsumer`` through ``defarm.asgi``)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Live notifications over a WebSocket (upgrade request)",
        description=NOTIFICATION_SOCKET_DESCRIPTION,
        auth=[],
        parameters=[
            OpenApiParameter(
                "token",
                OpenApiTypes.STR,
                description="The caller's JWT (or send an API key header instead).",
            )
        ],
        responses={
            101: OpenApiResponse(description="Switching Protocols: the WebSocket is open."),
            426: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="`upgrade_required` (the error shape): not a WebSocket upgrade.",
            ),
        },
    )
    def get(self, request):
        response = Response(
            {
                "success": False,
                "error": "upgrade_required",
                "message": "This is a WebSocket: connect with the WebSocket upgrade headers "
                "(e.g. new WebSocket('wss://<host>/api/notifications/ws?token=<JWT>')).",
            },
            status=426,
        )
        response["Upgrade"] = "websocket"
        response["Connection"] = "Upgrade"
        return response


# --- API keys -------------------------------------------------------------------------------

API_KEY_UPDATE_EXAMPLE = OpenApiExample(
    "Rename and widen a key",
    value={
        "name": "ERP sync (write)",
        "permissions": {"read": True, "write": True, "admin": False, "custom": {}},
        "rate_limit_per_hour": 2000,
        "notes": "Now also pushes items",
    },
    request_only=True,
)
API_KEY_WARNING = "Save this API key securely. You won't be able to see it again."


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "include_inactive",
                OpenApiTypes.BOOL,
                description="Also revoked and deactivated keys (default false).",
            )
        ],
        responses=serializers.ApiKeyListEntrySerializer(many=True),
        summary="The caller's API keys",
    ),
    retrieve=extend_schema(
        responses=serializers.ApiKeyMetadataSerializer, summary="One of the caller's API keys"
    ),
    destroy=extend_schema(summary="Delete one of the caller's API keys"),
)
class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.ApiKeyMetadataSerializer
    permission_classes = [IsAuthenticated, ApiKeysReadOnly]
    lookup_field = "key_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        include_inactive = True
        if self.action == "list":
            include_inactive = bool(_bool_param(self.request.query_params.get("include_inactive")))
        return selectors.api_keys_for(user=self.request.user, include_inactive=include_inactive)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ApiKeyListEntrySerializer
        return serializers.ApiKeyMetadataSerializer

    def _metadata(self, key_id) -> dict:
        api_key = selectors.api_keys_for(user=self.request.user).get(pk=key_id)
        return serializers.ApiKeyMetadataSerializer(api_key).data

    @extend_schema(
        request=serializers.ApiKeyCreateSerializer,
        responses={200: serializers.ApiKeyCreatedSerializer},
        summary="Create an API key (the key is shown only in this answer)",
        description="Only staff may create keys with `admin`; others get 403.",
    )
    def create(self, request):
        data = serializers.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, raw_key = api_key_services.api_key_create(
            user=request.user, **data.to_service_arguments()
        )
        body = {
            "api_key": raw_key,
            "metadata": self._metadata(api_key.pk),
            "warning": API_KEY_WARNING,
        }
        return Response(body)

    @extend_schema(
        request=serializers.ApiKeyUpdateSerializer,
        responses=serializers.ApiKeyMetadataSerializer,
        examples=[API_KEY_UPDATE_EXAMPLE],
        summary="Change an API key's name, permissions, notes, limits or activity",
    )
    def partial_update(self, request, key_id=None):
        api_key = self.get_object()
        data = serializers.ApiKeyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        api_key_services.api_key_update(api_key=api_key, **data.to_service_arguments())
        return Response(self._metadata(api_key.pk))

    def perform_destroy(self, instance):
        api_key_services.api_key_delete(api_key=instance)

    @extend_schema(
        request=None,
        responses=serializers.ApiKeyMetadataSerializer,
        summary="Revoke an API key at once (it stays listed, inactive)",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, key_id=None):
        api_key_services.api_key_revoke(api_key=self.get_object(), actor=request.user)
        return Response(self._metadata(key_id))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "days", OpenApiTypes.INT, description="Days of daily_usage (1-366, default 7)."
            )
        ],
        responses=serializers.ApiKeyUsageSerializer,
        summary="How much an API key was used",
    )
    @action(detail=True, methods=["get"])
    def usage(self, request, key_id=None):
        api_key = self.get_object()
        try:
            days = int(request.query_params.get("days", 7))
        except ValueError:
            days = 0
        if not 1 <= days <= 366:
            raise ApiError("days must be between 1 and 366.", code="validation_error")
        summary = selectors.api_key_usage_summary(api_key=api_key, days=days)
        return Response(serializers.ApiKeyUsageSerializer(summary).data)


# --- Staff ----------------------------------------------------------------------------------

STAFF_USER_CREATE_EXAMPLE = OpenApiExample(
    "Create an account",
    value={
        "username": "coop_manager",
        "email": "manager@coop.example",
        "password": "Str0ng-pass!",
        "tier": "Professional",
        "initial_credits": 500,
        "workspace_id": "coop-workspace",
    },
    request_only=True,
)
STAFF_USER_UPDATE_EXAMPLE = OpenApiExample(
    "Upgrade an account",
    value={
        "tier": "Enterprise",
        "status": "Active",
        "credits": 5000,
        "available_adapters": ["ipfs-ipfs", "StellarTestnetIpfs"],
    },
    request_only=True,
)
STAFF_CREDITS_EXAMPLE = OpenApiExample(
    "Grant credits", value={"amount": 250, "reason": "Pilot programme"}, request_only=True
)
STAFF_BULK_CREDITS_EXAMPLE = OpenApiExample(
    "Grant credits to several accounts",
    value={"user_ids": ["user-1f0c...", "user-9a7b..."], "amount": 100, "reason": "Harvest bonus"},
    request_only=True,
)


class StaffUserPagination(LimitOffsetPagination):
    default_limit = 50


def _user_snapshot(user: User) -> dict:
    return {
        "tier": user.tier,
        "status": user.status,
        "credits": selectors.user_credits(user=user),
        "is_admin": user.is_admin,
        "adapters": ", ".join(user.available_adapters or ()) or "tier defaults",
    }


def _changes_text(before: dict, after: dict) -> str:
    """The engine's change summary: ``"tier: Basic -> Professional, credits: 100 -> 500"``."""
    return ", ".join(
        f"{field}: {before[field]} -> {after[field]}"
        for field in before
        if before[field] != after[field]
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("username", OpenApiTypes.STR, description="Part of the username."),
            OpenApiParameter("email", OpenApiTypes.STR, description="Part of the e-mail."),
            OpenApiParameter("tier", OpenApiTypes.STR, description="Basic, Professional, ..."),
            OpenApiParameter("status", OpenApiTypes.STR, description="Active, Suspended, ..."),
            OpenApiParameter("is_admin", OpenApiTypes.BOOL),
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                description="Part of the username, e-mail, user id or workspace (DeFarm's "
                "one-box search beside the engine's per-field filters).",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 50)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses=serializers.StaffUserListSerializer,
        summary="Accounts, filtered (staff)",
        description="`count` is the number in this answer; `X-Total-Count` the number "
        "matching, `Link` the neighbouring pages.",
    ),
)
class StaffUserViewSet(viewsets.GenericViewSet):
    serializer_class = serializers.StaffUserSerializer
    schema = EnvelopedListSchema()
    permission_classes = [IsStaff]
    lookup_field = "user_id"
    lookup_value_regex = "[^/]+"
    filter_backends = []
    pagination_class = StaffUserPagination

    def get_queryset(self):
        return selectors.users_for_staff()

    def _user(self, user_id: str) -> User:
        return get_object_or_404(User.objects.select_related("credit_balance"), pk=user_id)

    def list(self, request):
        params = serializers.StaffUserQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        users = selectors.users_for_staff(**params.validated_data)
        page = self.paginator.paginate_queryset(users, request, view=self)
        data = serializers.StaffUserSerializer(page, many=True).data
        response = success_with(users=data, count=len(data))
        return _with_paging_headers(response, self.paginator)

    @extend_schema(
        request=serializers.StaffUserCreateSerializer,
        responses=serializers.StaffUserCreatedSerializer,
        examples=[STAFF_USER_CREATE_EXAMPLE],
        summary="Create an account (staff)",
        description="Without `initial_credits` the account gets the usual 100 welcome credits.",
    )
    def create(self, request):
        data = serializers.StaffUserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = staff_services.user_create_by_admin(admin=request.user, **data.validated_data)
        return success_with(
            message="User created successfully", user_id=user.user_id, username=user.username
        )

    @extend_schema(
        request=serializers.StaffUserUpdateSerializer,
        responses=serializers.StaffUserUpdatedSerializer,
        examples=[STAFF_USER_UPDATE_EXAMPLE],
        summary="Change an account's tier, status, balance, staff rights or adapters (staff)",
        description="Only the fields sent change; `credits` sets the balance (the difference "
        "is a Grant or Penalty ledger row).",
    )
    def update(self, request, user_id=None):
        user = self._user(user_id)
        data = serializers.StaffUserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        before = _user_snapshot(user)
        staff_services.user_update_by_admin(admin=request.user, user=user, **data.validated_data)
        after = _user_snapshot(self._user(user_id))
        return success_with(
            message="User updated successfully", changes=_changes_text(before, after)
        )

    @extend_schema(
        responses=serializers.StaffUserDetailSerializer,
        operation_id="api_admin_users_detail",
        summary="One account (staff)",
        description="404 `not_found` for an unknown account.",
    )
    def retrieve(self, request, user_id=None):
        user = self._user(user_id)
        return success_with(user=serializers.StaffUserSerializer(user).data)

    def _set_status(self, request, user_id: str, status: str) -> User:
        return staff_services.user_set_status(
            admin=request.user, user=self._user(user_id), status=status
        )

    @extend_schema(
        request=None,
        responses=serializers.StaffStatusChangedSerializer,
        summary="Freeze an account (staff): it can no longer log in or use its tokens and keys",
        description="Sets the status to Suspended, ends every session of the account and "
        "tells its owner. Staff cannot freeze their own account (400).",
    )
    @action(detail=True, methods=["put"])
    def freeze(self, request, user_id=None):
        self._set_status(request, user_id, UserStatus.SUSPENDED)
        return success_with(message="User frozen successfully")

    @extend_schema(
        request=None,
        responses=serializers.StaffStatusChangedSerializer,
        summary="Unfreeze an account (staff)",
        description="Sets the status to Active; tokens issued before the freeze stay refused.",
    )
    @action(detail=True, methods=["put"])
    def unfreeze(self, request, user_id=None):
        self._set_status(request, user_id, UserStatus.ACTIVE)
        return success_with(message="User unfrozen successfully")

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 50)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses=serializers.StaffCreditHistorySerializer,
        summary="An account's credit ledger, newest first (staff)",
        description="`count` is the number in this answer; `X-Total-Count` the number of "
        "ledger rows, `Link` the neighbouring pages.",
    )
    @action(detail=True, methods=["get"], url_path="credits/history")
    def credits_history(self, request, user_id=None):
        user = get_object_or_404(User, pk=user_id)
        paginator = CreditHistoryPagination()
        rows = paginator.paginate_queryset(
            selectors.credit_transactions_for(user=user), request, view=self
        )
        data = serializers.StaffCreditTransactionSerializer(rows, many=True).data
        response = success_with(user_id=user.pk, transactions=data, count=len(data))
        return _with_paging_headers(response, paginator)

    @extend_schema(
        request=serializers.StaffCreditsSerializer,
        responses=serializers.StaffCreditsResultSerializer,
        examples=[STAFF_CREDITS_EXAMPLE],
        summary="Grant (positive) or remove (negative) credits (staff)",
    )
    @action(detail=True, methods=["post"])
    def credits(self, request, user_id=None):
        user = self._user(user_id)
        data = serializers.StaffCreditsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ledger_row = staff_services.credits_adjust(
            admin=request.user,
            user=user,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
        )
        return success_with(
            message="Credits adjusted successfully",
            amount=ledger_row.amount,
            balance_after=ledger_row.balance_after,
            transaction_id=str(ledger_row.pk),
        )

    @extend_schema(
        request=serializers.StaffBulkCreditsSerializer,
        responses=serializers.StaffBulkCreditsResultSerializer,
        examples=[STAFF_BULK_CREDITS_EXAMPLE],
        summary="Grant credits to several accounts (staff)",
        description="Unknown accounts are listed in `failed`; the others get the grant.",
    )
    @action(detail=False, methods=["post"], url_path="credits/bulk-grant")
    def credits_bulk_grant(self, request):
        data = serializers.StaffBulkCreditsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        requested = list(dict.fromkeys(data.validated_data["user_ids"]))
        with transaction.atomic():
            users = list(User.objects.filter(pk__in=requested))
            found = {user.pk for user in users}
            if users:
                staff_services.credits_bulk_grant(
                    admin=request.user,
                    users=users,
                    amount=data.validated_data["amount"],
                    reason=data.validated_data["reason"],
                )
        successful = [user_id for user_id in requested if user_id in found]
        failed = [[user_id, "User not found"] for user_id in requested if user_id not in found]
        return success_with(
            message="Bulk credit grant completed",
            successful=successful,
            failed=failed,
            total_users=len(requested),
            successful_count=len(successful),
            failed_count=len(failed),
        )


class DashboardStatsView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        responses=serializers.DashboardStatsEnvelopeSerializer,
        summary="Counts of accounts, credits, items, circuits and API use (staff)",
        description="Real counts: accounts by tier and status, those created and signed in "
        "over 30 days, credits granted and consumed; DeFarm adds items, circuits and API-key "
        "requests over 30 days.",
    )
    def get(self, request):
        stats = selectors.staff_dashboard_stats()
        return success_with(stats=serializers.DashboardStatsSerializer(stats).data)


class AdminActionPagination(LimitOffsetPagination):
    default_limit = 100


class AdminActionViewSet(viewsets.GenericViewSet):
    serializer_class = serializers.AdminActionSerializer
    schema = EnvelopedListSchema()
    permission_classes = [IsStaff]
    filter_backends = []
    pagination_class = AdminActionPagination

    def get_queryset(self):
        return selectors.admin_actions_for_staff(
            admin_id=self.request.query_params.get("admin_id") or None
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("admin_id", OpenApiTypes.STR, description="Only this staff user's."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 100)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses=serializers.AdminActionListSerializer,
        summary="Changes made by staff, newest first",
        description="`count` is the number in this answer; `X-Total-Count` the number "
        "matching, `Link` the neighbouring pages.",
    )
    def list(self, request):
        page = self.paginator.paginate_queryset(self.get_queryset(), request, view=self)
        data = serializers.AdminActionSerializer(page, many=True).data
        response = success_with(actions=data, count=len(data))
        return _with_paging_headers(response, self.paginator)
