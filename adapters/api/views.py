from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.response import Response

from adapters.api.serializers import (
    AdapterConfigSerializer,
    AdapterTypeSerializer,
    PublicStorageHistorySerializer,
    StorageHistorySerializer,
    StorageMigrateSerializer,
)
from adapters.selectors import (
    adapter_configs_list,
    adapter_types_for_user,
    item_get_for_storage,
    item_get_public,
    storage_history_for_item,
    storage_history_primary,
)
from adapters.services import (
    adapter_config_create,
    adapter_config_delete,
    adapter_config_update,
    item_storage_migrate,
)
from defarm.api.permissions import IsStaff


@extend_schema_view(get=extend_schema(responses=AdapterTypeSerializer(many=True)))
class AdapterTypeListView(generics.GenericAPIView):
    """Adapter types the caller may use (their tier's, or their own list set by staff)."""

    serializer_class = AdapterTypeSerializer
    filter_backends: list = []  # a fixed list, no filters

    def get_queryset(self):
        return adapter_types_for_user(user=self.request.user)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AdapterConfigViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff: storage adapter configurations (at most one default per adapter type)."""

    permission_classes = [IsStaff]
    serializer_class = AdapterConfigSerializer
    lookup_field = "config_id"
    filterset_fields = ["adapter_type", "is_active", "is_default"]

    def get_queryset(self):
        return adapter_configs_list()

    def perform_create(self, serializer):
        serializer.instance = adapter_config_create(
            admin=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = adapter_config_update(
            admin=self.request.user, config=serializer.instance, changes=serializer.validated_data
        )

    def perform_destroy(self, instance):
        adapter_config_delete(admin=self.request.user, config=instance)


class _StorageHistoryList(generics.GenericAPIView):
    serializer_class = StorageHistorySerializer
    filter_backends: list = []  # one item's records, no filters

    def get_item(self):
        return item_get_for_storage(user=self.request.user, dfid=self.kwargs["dfid"])

    def get_queryset(self):
        return storage_history_for_item(item=self.get_item())

    def get(self, request, dfid: str):
        item = self.get_item()
        records = storage_history_for_item(item=item)
        page = self.paginate_queryset(records)
        primary = storage_history_primary(item=item)
        context = {**self.get_serializer_context(), "primary_id": primary.pk if primary else None}
        serializer = self.get_serializer_class()(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)


@extend_schema_view(get=extend_schema(responses=StorageHistorySerializer(many=True)))
class ItemStorageHistoryView(_StorageHistoryList):
    """Where the item's data was stored, newest first; the primary location is flagged."""


@extend_schema_view(get=extend_schema(responses=PublicStorageHistorySerializer(many=True)))
class PublicItemStorageHistoryView(_StorageHistoryList):
    """Storage records of an item published in a public circuit (no login)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    serializer_class = PublicStorageHistorySerializer

    def get_item(self):
        return item_get_public(dfid=self.kwargs["dfid"])


class ItemStorageMigrateView(generics.GenericAPIView):
    """Store the item again through another adapter; the new record becomes primary.
    Costs the caller's storage-migration credits."""

    serializer_class = StorageMigrateSerializer

    @extend_schema(request=StorageMigrateSerializer, responses={201: StorageHistorySerializer})
    def post(self, request, dfid: str):
        from circuits.permissions import Permission, circuit_get_for_member

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = item_get_for_storage(user=request.user, dfid=dfid)
        circuit = None
        if serializer.validated_data.get("circuit_id"):
            circuit = circuit_get_for_member(
                user=request.user,
                circuit_id=serializer.validated_data["circuit_id"],
                permission=Permission.MANAGE_PERMISSIONS,
            )
        record = item_storage_migrate(
            admin_or_user=request.user,
            item=item,
            adapter_type=serializer.validated_data["adapter_type"],
            circuit=circuit,
        )
        return Response(
            StorageHistorySerializer(record, context={"primary_id": record.pk}).data,
            status=status.HTTP_201_CREATED,
        )
