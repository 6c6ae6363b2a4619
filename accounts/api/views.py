from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api import serializers
from accounts.models import User
from accounts.services import api_keys as api_key_services
from accounts.services import notifications as notification_services
from accounts.services import staff as staff_services
from accounts.services.users import user_login, user_register
from accounts.tokens import SessionExpired, jwt_issue, jwt_session_started_at
from audit.models import AdminAction
from defarm.api.authentication import JWTAuthentication
from defarm.api.exceptions import ApiError
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
            "expires_at": expires_at,
        }
    ).data


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
        responses={201: serializers.TokenSerializer},
        auth=[],
        summary="Create an account (100 welcome credits) and get a token",
    )
    def post(self, request):
        data = serializers.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(_token_body(user), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=serializers.LoginSerializer,
        responses={200: serializers.TokenSerializer},
        auth=[],
        summary="Exchange a username and password for a token",
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


# --- The current user -------------------------------------------------------------------------


class MeView(APIView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        user = request.user
        body = {
            "user_id": user.user_id,
            "username": user.username,
            "email": user.email,
            "tier": user.tier,
            "status": user.status,
            "is_admin": user.is_admin,
            "workspace_id": user.workspace_id,
            "credits": selectors.user_credits(user=user),
            "limits": selectors.user_limits(user=user),
        }
        return Response(serializers.MeSerializer(body).data)


class MyCreditsView(APIView):
    @extend_schema(responses=serializers.CreditsSerializer)
    def get(self, request):
        body = {"credits": selectors.user_credits(user=request.user), "tier": request.user.tier}
        return Response(serializers.CreditsSerializer(body).data)


class MyCreditCostsView(APIView):
    @extend_schema(responses=serializers.CreditCostsSerializer)
    def get(self, request):
        body = {
            "tier": request.user.tier,
            "costs": selectors.user_operation_costs(user=request.user),
        }
        return Response(serializers.CreditCostsSerializer(body).data)


class MyCreditHistoryView(generics.ListAPIView):
    serializer_class = serializers.CreditTransactionSerializer

    def get_queryset(self):
        return selectors.credit_transactions_for(user=self.request.user)


# --- Notifications ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread (or read).")
        ]
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.NotificationSerializer
    lookup_field = "notification_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        unread = _bool_param(self.request.query_params.get("unread"))
        return selectors.notifications_for(user=self.request.user, unread=unread)

    @extend_schema(request=None, responses=serializers.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, notification_id=None):
        notification = get_object_or_404(
            selectors.notifications_for(user=request.user), pk=notification_id
        )
        notification = notification_services.notification_mark_read(notification=notification)
        return Response(serializers.NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=serializers.CountSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        changed = notification_services.notifications_mark_all_read(user=request.user)
        return Response({"count": changed})

    @extend_schema(responses=serializers.CountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"count": selectors.notifications_unread_count(user=request.user)})


# --- API keys -------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=serializers.ApiKeyCreateSerializer,
        responses={201: serializers.ApiKeyCreatedSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.ApiKeyUpdateSerializer, responses=serializers.ApiKeySerializer
    ),
)
class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.ApiKeySerializer
    permission_classes = [IsAuthenticated, ApiKeysReadOnly]
    lookup_field = "key_id"
    lookup_value_regex = UUID_PATTERN
    filter_backends = []

    def get_queryset(self):
        return selectors.api_keys_for(user=self.request.user)

    def create(self, request):
        data = serializers.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, raw_key = api_key_services.api_key_create(user=request.user, **data.validated_data)
        api_key.api_key = raw_key
        return Response(
            serializers.ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, key_id=None):
        api_key = self.get_object()
        data = serializers.ApiKeyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        api_key = api_key_services.api_key_update(api_key=api_key, **data.validated_data)
        return Response(serializers.ApiKeySerializer(api_key).data)

    def perform_destroy(self, instance):
        api_key_services.api_key_delete(api_key=instance)

    @extend_schema(request=None, responses=serializers.ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, key_id=None):
        api_key = api_key_services.api_key_revoke(api_key=self.get_object(), actor=request.user)
        return Response(serializers.ApiKeySerializer(api_key).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description="Per-day window (1-366).")
        ],
        responses=serializers.ApiKeyUsageSerializer,
    )
    @action(detail=True, methods=["get"])
    def usage(self, request, key_id=None):
        api_key = self.get_object()
        try:
            days = int(request.query_params.get("days", 30))
        except ValueError:
            days = 0
        if not 1 <= days <= 366:
            raise ApiError("days must be between 1 and 366.", code="validation_error")
        summary = selectors.api_key_usage_summary(api_key=api_key, days=days)
        return Response(serializers.ApiKeyUsageSerializer(summary).data)


# --- Staff ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("tier", OpenApiTypes.STR),
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("is_admin", OpenApiTypes.BOOL),
            OpenApiParameter("search", OpenApiTypes.STR, description="username, e-mail or id"),
        ]
    ),
    create=extend_schema(
        request=serializers.StaffUserCreateSerializer,
        responses={201: serializers.StaffUserSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.StaffUserUpdateSerializer, responses=serializers.StaffUserSerializer
    ),
)
class StaffUserViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.StaffUserSerializer
    permission_classes = [IsStaff]
    lookup_field = "user_id"
    filter_backends = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.users_for_staff(
            tier=params.get("tier"),
            status=params.get("status"),
            is_admin=_bool_param(params.get("is_admin")),
            search=params.get("search"),
        )

    def _user(self, user_id: str) -> User:
        return get_object_or_404(User.objects.select_related("credit_balance"), pk=user_id)

    def create(self, request):
        data = serializers.StaffUserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = staff_services.user_create_by_admin(admin=request.user, **data.validated_data)
        return Response(
            serializers.StaffUserSerializer(self._user(user.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, user_id=None):
        user = self._user(user_id)
        data = serializers.StaffUserUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        staff_services.user_update_by_admin(admin=request.user, user=user, **data.validated_data)
        return Response(serializers.StaffUserSerializer(self._user(user_id)).data)

    @extend_schema(
        request=serializers.StaffCreditsSerializer,
        responses=serializers.CreditTransactionSerializer,
    )
    @action(detail=True, methods=["post"])
    def credits(self, request, user_id=None):
        user = self._user(user_id)
        data = serializers.StaffCreditsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ledger_row = staff_services.credits_adjust(
            admin=request.user, user=user, **data.validated_data
        )
        return Response(serializers.CreditTransactionSerializer(ledger_row).data)

    @extend_schema(
        request=serializers.StaffBulkCreditsSerializer,
        responses=serializers.StaffBulkCreditsResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="credits/bulk")
    def credits_bulk(self, request):
        data = serializers.StaffBulkCreditsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_ids = set(data.validated_data["user_ids"])
        with transaction.atomic():
            users = list(User.objects.filter(pk__in=user_ids))
            missing = user_ids - {user.pk for user in users}
            if missing:
                raise ApiError(
                    "Some users do not exist.",
                    code="not_found",
                    status_code=404,
                    details={"user_ids": sorted(missing)},
                )
            rows = staff_services.credits_bulk_grant(
                admin=request.user,
                users=users,
                amount=data.validated_data["amount"],
                reason=data.validated_data["reason"],
            )
        return Response({"granted": len(rows), "amount": data.validated_data["amount"]})


class AdminActionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.AdminActionSerializer
    permission_classes = [IsStaff]
    filter_backends = []

    def get_queryset(self):
        return AdminAction.objects.select_related("admin").order_by("-performed_at_ts", "action_id")
