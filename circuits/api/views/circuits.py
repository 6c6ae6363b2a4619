"""``/api/circuits`` and a circuit's own settings, in the earlier engine's shapes. Each action
names the circuit permission it needs."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers.circuits import (
    AdapterConfigInputSerializer,
    CircuitAdapterSerializer,
    CircuitCreateSerializer,
    CircuitEnvelopeSerializer,
    CircuitSerializer,
    CircuitUpdateSerializer,
    PublicSettingsUpdateSerializer,
    VisibilityToggleSerializer,
)
from circuits.api.serializers.operations import ActivitySerializer, CircuitItemSerializer
from circuits.api.views.base import CircuitScopedViewSet, status_param
from circuits.models import Circuit, CircuitStatus
from circuits.permissions import Permission
from defarm.api.envelopes import success_data, success_with
from defarm.api.identity import caller_named_check


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise exceptions.ValidationError({"include_public": ["Must be true or false."]})


def circuit_response(circuit: Circuit) -> dict:
    """``CircuitResponse`` of ``circuit``, re-read with what it shows prefetched."""
    return CircuitSerializer(selectors.circuit_detail(circuit=circuit)).data


def circuit_response_for_requester(circuit: Circuit, user) -> dict:
    """What a user who asked to join sees: the circuit without its members, roles and other
    people's requests, unless they may read the circuit anyway (member, staff, public)."""
    data = circuit_response(circuit)
    may_read = (
        user.is_admin
        or circuit.owner_id == user.pk
        or any(member["member_id"] == user.pk for member in data["members"])
        or data["permissions"]["allow_public_visibility"]
    )
    if not may_read:
        data["members"] = []
        data["custom_roles"] = []
        data["pending_requests"] = [
            request for request in data["pending_requests"] if request["requester_id"] == user.pk
        ]
    return data


LIST_PARAMETERS = [
    OpenApiParameter(
        "status", str, enum=["Active", "Inactive", "Archived"], description="Any case."
    ),
    OpenApiParameter(
        "include_public",
        bool,
        description="Also list circuits that allow public visibility (default true).",
    ),
    OpenApiParameter(
        "user_id", str, description="Ignored when it names the caller; 403 for anyone else."
    ),
]

CREATE_EXAMPLE = OpenApiExample(
    "A circuit",
    request_only=True,
    value={
        "name": "Valley cattle",
        "description": "Traders of the valley",
        "adapter_config": {"adapter_type": "IpfsIpfs", "sponsor_adapter_access": False},
        "require_approval_for_push": True,
    },
)


class CircuitViewSet(CircuitScopedViewSet):
    """Circuits: list, create, read, change (PUT or PATCH, partial), deactivate, archive;
    public settings, storage adapter, items and activities."""

    serializer_class = CircuitSerializer

    @extend_schema(
        summary="Circuits of the caller (and public ones)",
        parameters=LIST_PARAMETERS,
        responses=CircuitSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        caller_named_check(
            request=request, field="user_id", value=request.query_params.get("user_id")
        )
        circuits = selectors.circuits_for_user(
            user=request.user,
            status=status_param(request, CircuitStatus.values),
            include_public=_truthy(request.query_params.get("include_public"), True),
        )
        return self.bare_list(circuits, CircuitSerializer)

    @extend_schema(
        summary="Circuits a user belongs to",
        description="The caller's own circuits; staff may ask about anyone (403 otherwise).",
        responses=CircuitSerializer(many=True),
    )
    def member_circuits(self, request: Request, member_id: str) -> Response:
        user = request.user
        if member_id in (user.pk, user.get_username()):
            member_id = user.pk
        elif not user.is_admin:
            raise exceptions.PermissionDenied(
                "Only staff may list another user's circuits; member_id must name the caller."
            )
        else:
            named = get_user_model().objects.filter(username=member_id).first()
            member_id = named.pk if named is not None else member_id
        return self.bare_list(selectors.circuits_of_member(member_id=member_id), CircuitSerializer)

    @extend_schema(
        summary="Create a circuit",
        description="The caller becomes its Owner. `owner_id`, when sent, must name the caller.",
        request=CircuitCreateSerializer,
        responses=CircuitSerializer,
        examples=[CREATE_EXAMPLE],
    )
    def create(self, request: Request) -> Response:
        body = self.body(CircuitCreateSerializer)
        circuit = services.circuit_create(owner=request.user, **body)
        return Response(circuit_response(circuit))

    @extend_schema(summary="A circuit", responses=CircuitSerializer)
    def retrieve(self, request: Request, circuit_id: str) -> Response:
        return Response(circuit_response(self.circuit(allow_public=True)))

    @extend_schema(
        summary="Change a circuit",
        description="PUT and PATCH both change only the fields sent (permission flags not "
        "sent keep their value). Needs ManagePermissions.",
        request=CircuitUpdateSerializer,
        responses=CircuitSerializer,
        examples=[
            OpenApiExample(
                "Require approval for pushes",
                request_only=True,
                value={"permissions": {"require_approval_for_push": True}},
            )
        ],
    )
    def update(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        body = self.body(CircuitUpdateSerializer, partial=True)
        if "permissions" in body:
            body["permissions"] = dict(body["permissions"])
        circuit = services.circuit_update(circuit=circuit, actor=request.user, **body)
        return Response(circuit_response(circuit))

    @extend_schema(
        summary="Archive a circuit",
        description="DeFarm's addition: the circuit is Archived (its history stays) and "
        "leaves its members' lists. Needs Delete.",
        request=None,
        responses={204: None},
    )
    def destroy(self, request: Request, circuit_id: str) -> Response:
        services.circuit_archive(circuit=self.circuit(Permission.DELETE), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Deactivate a circuit",
        description="Status Inactive: no push, pull or approval. Needs ManagePermissions; "
        "any JSON body is ignored.",
        request=None,
        responses=CircuitSerializer,
    )
    def deactivate(self, request: Request, circuit_id: str) -> Response:
        circuit = services.circuit_deactivate(
            circuit=self.circuit(Permission.MANAGE_PERMISSIONS), actor=request.user
        )
        return Response(circuit_response(circuit))

    @extend_schema(
        summary="Toggle a circuit's public visibility",
        description="Flips `permissions.allow_public_visibility`. Needs ManagePermissions.",
        request=None,
        responses=VisibilityToggleSerializer,
    )
    def toggle_visibility(self, request: Request, circuit_id: str) -> Response:
        circuit = services.circuit_toggle_visibility(
            circuit=self.circuit(Permission.MANAGE_PERMISSIONS), actor=request.user
        )
        public = bool(circuit.permissions.get("allow_public_visibility"))
        return success_with(
            circuit_id=str(circuit.pk),
            name=circuit.name,
            visibility="public" if public else "private",
            allow_public_visibility=public,
        )

    @extend_schema(
        summary="Replace a circuit's public settings",
        description="The password of a protected circuit is stored hashed and never shown. "
        "Needs ManagePermissions.",
        request=PublicSettingsUpdateSerializer,
        responses=CircuitEnvelopeSerializer,
        examples=[
            OpenApiExample(
                "Public, members approved automatically",
                request_only=True,
                value={
                    "public_settings": {
                        "access_mode": "Public",
                        "auto_approve_members": True,
                        "auto_publish_pushed_items": True,
                        "public_name": "Valley cattle",
                    }
                },
            )
        ],
    )
    def public_settings(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        body = self.body(PublicSettingsUpdateSerializer)
        circuit = services.circuit_set_public_settings(
            circuit=circuit, actor=request.user, public_settings=dict(body["public_settings"])
        )
        return success_data(circuit_response(circuit))

    @extend_schema(
        methods=["GET"], summary="A circuit's storage adapter", responses=CircuitAdapterSerializer
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set a circuit's storage adapter",
        description="Needs ManagePermissions; the caller's tier must allow the adapter.",
        request=AdapterConfigInputSerializer,
        responses=CircuitAdapterSerializer,
        examples=[
            OpenApiExample(
                "IPFS",
                request_only=True,
                value={"adapter_type": "IpfsIpfs", "requires_approval": False},
            )
        ],
    )
    def adapter(self, request: Request, circuit_id: str) -> Response:
        if request.method == "GET":
            circuit = self.circuit()
        else:
            circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
            body = self.body(AdapterConfigInputSerializer)
            circuit = services.circuit_set_adapter(circuit=circuit, actor=request.user, **body)
        return Response(CircuitAdapterSerializer(circuit).data)

    @extend_schema(
        summary="Items of a circuit",
        parameters=[
            OpenApiParameter(
                "include_events", bool, description="Add each item's events (not Private ones)."
            )
        ],
        responses=CircuitItemSerializer(many=True),
    )
    def items(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        include_events = _truthy(request.query_params.get("include_events"), False)
        rows = selectors.circuit_items_list(circuit=circuit, with_events=include_events)
        return self.bare_list(rows, CircuitItemSerializer, include_events=include_events)

    @extend_schema(summary="Activities of a circuit", responses=ActivitySerializer(many=True))
    def activities(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit()
        return self.bare_list(
            selectors.circuit_activities_list(circuit=circuit), ActivitySerializer
        )
