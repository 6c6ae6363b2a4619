from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from adapters import registry
from adapters.api.fields import AdapterTypeField
from adapters.api.serializers import (
    AdapterConfigAnswerSerializer,
    AdapterConfigListSerializer,
    AdapterConfigSerializer,
    AdapterHealthSerializer,
    AdapterListSerializer,
    AdapterSelectedSerializer,
    AdapterSelectSerializer,
    AdapterStatusSerializer,
    AdapterSyncStatusSerializer,
    AdapterTemplatesSerializer,
    AdapterTypeSerializer,
    ItemStorageHistorySerializer,
    ItemStorageRecordSerializer,
    MessageAnswerSerializer,
    PublicStorageRecordSerializer,
    StorageHistoryMigrateSerializer,
    StorageHistoryResponseSerializer,
    StorageLocationsSerializer,
    StorageMigratedSerializer,
    StoragePrimarySerializer,
    StoragePrimarySetSerializer,
    StorageRecordSerializer,
    StorageStatisticsDataSerializer,
    StorageStatisticsSerializer,
    TestPushedSerializer,
    TestPushSerializer,
    UnixDateTimeField,
)
from adapters.selectors import (
    adapter_configs_list,
    adapter_type_health_problem,
    adapter_type_status,
    adapter_types_for_user,
    item_get_for_storage,
    item_get_public,
    storage_history_public,
    storage_history_statistics,
    storage_history_visible,
)
from adapters.services import (
    adapter_config_create,
    adapter_config_delete,
    adapter_config_update,
    adapter_test_push,
    item_storage_migrate,
    item_storage_primary_set,
    user_adapter_select,
)
from defarm.api.envelopes import success_data, success_with
from defarm.api.exceptions import ApiError, error_body
from defarm.api.permissions import IsStaff


@extend_schema_view(
    get=extend_schema(
        summary="Adapters the caller may use",
        description="Their tier's adapter types, or their own list set by staff.",
        responses=AdapterListSerializer,
        tags=["adapters"],
    )
)
class AdapterTypeListView(APIView):
    def get(self, request):
        adapters = adapter_types_for_user(user=request.user)
        user = request.user
        return success_with(
            adapters=AdapterTypeSerializer(adapters, many=True).data,
            user_id=user.user_id,
            tier=user.tier,
            using_custom_adapters=bool(user.available_adapters),
            count=len(adapters),
            selected_adapter=user.selected_adapter,
        )


class AdapterSelectView(APIView):
    @extend_schema(
        summary="Choose the caller's adapter",
        description="Recorded on the account; 403 tier_limit_exceeded when the caller's tier "
        "(or adapter list) does not include it.",
        request=AdapterSelectSerializer,
        responses=AdapterSelectedSerializer,
        examples=[OpenApiExample("IPFS", value={"adapter_type": "ipfs-ipfs"}, request_only=True)],
        tags=["adapters"],
    )
    def post(self, request):
        body = AdapterSelectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        adapter_type = body.validated_data["adapter_type"]
        user = user_adapter_select(user=request.user, adapter_type=adapter_type)
        return success_with(
            message="Adapter selected successfully",
            user_id=user.user_id,
            adapter_type=adapter_type,
            description=registry.adapter_type_describe(adapter_type).description,
            updated_at=serializers.DateTimeField().to_representation(user.updated_at),
        )


class AdapterTemplatesView(APIView):
    @extend_schema(
        summary="What each adapter type offers",
        responses=AdapterTemplatesSerializer,
        tags=["adapters"],
    )
    def get(self, request):
        return success_with(templates=registry.ADAPTER_TEMPLATES)


def _known_adapter_type(value: str) -> str:
    """The adapter type named in the path, in any spelling the engine took; 400 otherwise."""
    return AdapterTypeField().run_validation(value)


class AdapterStatusView(APIView):
    @extend_schema(
        summary="Whether an adapter type can store, and when it last did",
        parameters=[
            OpenApiParameter("client_id", str, description="Accepted and ignored."),
            OpenApiParameter("tier", str, description="Accepted and ignored."),
        ],
        responses=AdapterStatusSerializer,
        tags=["adapters"],
    )
    def get(self, request, adapter_type: str):
        try:
            adapter_type = _known_adapter_type(adapter_type)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"adapter_type": error.detail}) from error
        status_ = adapter_type_status(adapter_type=adapter_type)
        # The engine's key "status" is the envelope helpers' own keyword: built here.
        return Response(
            {
                "success": True,
                "adapter_type": adapter_type,
                "status": AdapterSyncStatusSerializer(status_).data,
            }
        )


class AdapterHealthView(APIView):
    @extend_schema(
        summary="Check that an adapter's backend answers now",
        description="200 with healthy true, or 503 adapter_unhealthy with the reason in message "
        "(healthy false).",
        responses={
            200: AdapterHealthSerializer,
            503: OpenApiResponse(AdapterHealthSerializer, description="The backend fails."),
        },
        tags=["adapters"],
    )
    def get(self, request, adapter_type: str):
        try:
            adapter_type = _known_adapter_type(adapter_type)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"adapter_type": error.detail}) from error
        problem = adapter_type_health_problem(adapter_type=adapter_type)
        checked_at = serializers.DateTimeField().to_representation(timezone.now())
        if problem:
            return Response(
                {
                    **error_body("adapter_unhealthy", problem),
                    "adapter_type": adapter_type,
                    "healthy": False,
                    "checked_at": checked_at,
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return success_with(adapter_type=adapter_type, healthy=True, checked_at=checked_at)


# PUT and PATCH are the same operation: both change only the fields sent.
config_change_schema = extend_schema(
    summary="Change an adapter configuration (fields sent only)",
    request=AdapterConfigSerializer,
    responses=AdapterConfigAnswerSerializer,
    examples=[OpenApiExample("Deactivate", value={"is_active": False}, request_only=True)],
    tags=["admin"],
)


class AdapterConfigViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff: storage adapter configurations (at most one default per adapter type), in the
    earlier engine's envelopes (``configs``, ``config``, ``message``). Secret-looking connection
    values are masked (the engine showed them)."""

    permission_classes = [IsStaff]
    serializer_class = AdapterConfigSerializer
    lookup_field = "config_id"
    filterset_fields = ["adapter_type", "is_active", "is_default"]

    def get_queryset(self):
        configs = adapter_configs_list()
        if self.action == "list" and self.request.query_params.get("active_only") in {
            "true",
            "1",
        }:
            configs = configs.filter(is_active=True)
        return configs

    @extend_schema(
        summary="Adapter configurations",
        parameters=[
            OpenApiParameter("active_only", bool, description="Only active configurations.")
        ],
        responses=AdapterConfigListSerializer,
        tags=["admin"],
    )
    def list(self, request, *args, **kwargs):
        configs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(configs)
        data = self.get_serializer(page, many=True).data
        response = success_with(configs=data, count=len(data))
        for name, value in self.paginator.get_headers().items():
            response[name] = value
        return response

    @extend_schema(
        summary="One adapter configuration", responses=AdapterConfigAnswerSerializer, tags=["admin"]
    )
    def retrieve(self, request, *args, **kwargs):
        return success_with(config=self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Create an adapter configuration",
        request=AdapterConfigSerializer,
        responses=AdapterConfigAnswerSerializer,
        examples=[
            OpenApiExample(
                "IPFS node",
                value={
                    "name": "Pinning node",
                    "description": "Kubo RPC",
                    "adapter_type": "IpfsIpfs",
                    "connection_details": {"endpoint": "https://ipfs.example.com:5001"},
                },
                request_only=True,
            )
        ],
        tags=["admin"],
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config = adapter_config_create(admin=request.user, **serializer.validated_data)
        return success_with(
            message="Adapter configuration created successfully",
            config=self.get_serializer(config).data,
        )

    @config_change_schema
    def update(self, request, *args, **kwargs):
        # PUT changes only the fields sent, as the engine's did; PATCH the same.
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = adapter_config_update(
            admin=request.user, config=serializer.instance, changes=serializer.validated_data
        )
        return success_with(
            message="Adapter configuration updated successfully",
            config=self.get_serializer(config).data,
        )

    @config_change_schema
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(
        summary="Delete an adapter configuration", responses=MessageAnswerSerializer, tags=["admin"]
    )
    def destroy(self, request, *args, **kwargs):
        adapter_config_delete(admin=request.user, config=self.get_object())
        return success_with(message="Adapter configuration deleted successfully")

    @extend_schema(
        summary="Make a configuration its adapter type's default",
        request=None,
        responses=MessageAnswerSerializer,
        tags=["admin"],
    )
    @action(detail=True, methods=["post"], url_path="set-default")
    def set_default(self, request, config_id=None):
        adapter_config_update(
            admin=request.user, config=self.get_object(), changes={"is_default": True}
        )
        return success_with(message="Default adapter set successfully")


def storage_history_data(*, item, user=None, public: bool = False) -> dict:
    """The engine's StorageHistoryResponse of ``item``: the records ``user`` may read (public:
    those of the circuits publishing it) newest first, its primary location, and when it was
    first and last stored."""
    if public:
        records = list(storage_history_public(item=item))
    else:
        records = list(storage_history_visible(item=item, user=user))
    primary = next((record for record in records if record.is_active), None)
    serializer_class = PublicStorageRecordSerializer if public else StorageRecordSerializer
    context = {"primary_id": primary.pk if primary else None}
    created = records[-1].stored_at_ts if records else item.created_at_ts
    updated = records[0].stored_at_ts if records else item.last_updated_ts
    return {
        "dfid": item.dfid,
        "storage_records": serializer_class(records, many=True, context=context).data,
        "current_primary": primary.storage_location if primary else None,
        "created_at": UnixDateTimeField().to_representation(created),
        "updated_at": UnixDateTimeField().to_representation(updated),
    }


class StorageHistoryView(APIView):
    @extend_schema(
        summary="Where an item's data was stored",
        description="Every storage record of the item, newest first; 404 when the caller may "
        "not see the item.",
        responses=StorageHistoryResponseSerializer,
        tags=["storage history"],
    )
    def get(self, request, dfid: str):
        item = item_get_for_storage(user=request.user, dfid=dfid)
        return success_data(storage_history_data(item=item, user=request.user))


class PublicStorageHistoryView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Where a published item's data was stored (no login)",
        description="Only for items published in a public circuit (404 item_not_public "
        "otherwise); who stored each record is left out.",
        responses=StorageHistoryResponseSerializer,
        auth=[],
        tags=["storage history"],
    )
    def get(self, request, dfid: str):
        try:
            item = item_get_public(dfid=dfid)
        except NotFound as error:
            raise ApiError(
                "Item not found in any public circuit.", code="item_not_public", status_code=404
            ) from error
        return success_data(storage_history_data(item=item, public=True))


class StorageLocationsView(APIView):
    @extend_schema(
        summary="The storage locations of an item",
        description="The item is the one in the path (`?dfid=`, which the engine required, is "
        "accepted and must name the same item).",
        parameters=[OpenApiParameter("dfid", str, description="Optional; the path's DFID.")],
        responses=StorageLocationsSerializer,
        tags=["storage history"],
    )
    def get(self, request, dfid: str):
        queried = request.query_params.get("dfid")
        if queried and queried != dfid:
            raise serializers.ValidationError({"dfid": ["Must name the item in the path."]})
        item = item_get_for_storage(user=request.user, dfid=dfid)
        locations = list(
            storage_history_visible(item=item, user=request.user).values_list(
                "storage_location", flat=True
            )
        )
        return success_with(dfid=item.dfid, locations=locations, count=len(locations))


class StorageStatisticsView(APIView):
    @extend_schema(
        summary="Counts over the storage records the caller may see",
        description="Over every item for staff, over the items the caller may see otherwise.",
        responses=StorageStatisticsSerializer,
        tags=["storage history"],
    )
    def get(self, request):
        statistics = storage_history_statistics(user=request.user)
        return success_with(statistics=StorageStatisticsDataSerializer(statistics).data)


def _managed_circuit(*, user, circuit_id):
    """The circuit a storage change names, which the caller must hold ManagePermissions in."""
    if not circuit_id:
        return None
    from circuits.permissions import Permission, circuit_get_for_member

    return circuit_get_for_member(
        user=user, circuit_id=circuit_id, permission=Permission.MANAGE_PERMISSIONS
    )


class StorageMigrateView(APIView):
    @extend_schema(
        summary="Store an item again through another adapter",
        description="The new record becomes the item's primary location; earlier records are "
        "kept. Costs the caller's storage-migration credits. Allowed to the item's owner, staff, "
        "or a ManagePermissions holder of a circuit that holds the item (sent as circuit_id); "
        "user_id, when sent, must be the caller's.",
        request=StorageHistoryMigrateSerializer,
        responses=StorageMigratedSerializer,
        examples=[
            OpenApiExample(
                "Engine client",
                value={"target_adapter_type": "IpfsIpfs", "circuit_id": None},
                request_only=True,
            )
        ],
        tags=["storage history"],
    )
    def post(self, request, dfid: str):
        body = StorageHistoryMigrateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        item = item_get_for_storage(user=request.user, dfid=dfid)
        circuit = _managed_circuit(
            user=request.user, circuit_id=body.validated_data.get("circuit_id")
        )
        record = item_storage_migrate(
            admin_or_user=request.user,
            item=item,
            adapter_type=body.validated_data["target_adapter_type"],
            circuit=circuit,
        )
        return success_with(
            dfid=item.dfid,
            target_adapter=record.adapter_type,
            circuit_id=str(circuit.circuit_id) if circuit else None,
            data=StorageRecordSerializer(record, context={"primary_id": record.pk}).data,
        )


class StoragePrimaryView(APIView):
    @extend_schema(
        summary="Make an earlier storage location of an item its primary one",
        description="The active record at storage_location is recorded anew and becomes the "
        "primary location (records are never rewritten). Allowed to whoever may migrate the "
        "item's storage; 404 when no active record of the item is at that location.",
        request=StoragePrimarySetSerializer,
        responses=StoragePrimarySerializer,
        examples=[
            OpenApiExample(
                "IPFS location",
                value={
                    "storage_location": {"IPFS": {"cid": "bafkreigh2akiscaildc", "pinned": True}}
                },
                request_only=True,
            )
        ],
        tags=["storage history"],
    )
    def post(self, request, dfid: str):
        body = StoragePrimarySetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = item_get_for_storage(user=request.user, dfid=dfid)
        circuit = _managed_circuit(
            user=request.user, circuit_id=body.validated_data.get("circuit_id")
        )
        record = item_storage_primary_set(
            user=request.user,
            item=item,
            storage_location=body.validated_data["storage_location"],
            circuit=circuit,
        )
        return success_with(
            dfid=item.dfid,
            requested_primary=body.validated_data["storage_location"],
            data=StorageRecordSerializer(record, context={"primary_id": record.pk}).data,
        )


class ItemStorageHistoryView(APIView):
    @extend_schema(
        summary="An item's storage records, flattened",
        description="The item's storage records newest first, with the blockchain and IPFS "
        "facts of each record's metadata as fields; 404 when the caller may not see the item.",
        responses=ItemStorageHistorySerializer,
        tags=["storage history"],
    )
    def get(self, request, dfid: str):
        item = item_get_for_storage(user=request.user, dfid=dfid)
        records = storage_history_visible(item=item, user=request.user)
        return success_with(
            dfid=item.dfid, records=ItemStorageRecordSerializer(records, many=True).data
        )


class TestPushView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        summary="Store test data through an adapter (staff)",
        description="Stores a small test document (no item is created) through the local store, "
        "the IPFS node or Stellar anchoring and answers the CID or the transaction hash. An "
        "adapter that is not configured submits nothing (409 adapter_not_configured); mainnet "
        "only where STELLAR_MAINNET_ENABLED (409 stellar_mainnet_not_enabled otherwise).",
        request=TestPushSerializer,
        responses=TestPushedSerializer,
        examples=[
            OpenApiExample(
                "Stellar testnet",
                value={"adapter_type": "stellar-testnet", "test_data": "hello"},
                request_only=True,
            )
        ],
        tags=["adapters"],
    )
    def post(self, request):
        body = TestPushSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = adapter_test_push(
            admin=request.user,
            target=body.validated_data["adapter_type"],
            test_data=body.validated_data["test_data"],
        )
        return success_with(**TestPushedSerializer(result).data)
