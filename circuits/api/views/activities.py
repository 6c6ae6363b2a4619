"""The earlier engine's activity routes (CONTRACT.md §8.21): pushes, pulls and enrichments of
the circuits the caller is a member of (every circuit for staff), as bare arrays."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors
from circuits.api.serializers.operations import ActivitySerializer
from circuits.models import Activity


class ActivityViewSet(viewsets.GenericViewSet):
    queryset = Activity.objects.none()
    serializer_class = ActivitySerializer
    filter_backends = []

    def bare_list(self, activities) -> Response:
        page = self.paginate_queryset(activities)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(
        summary="Activities of the caller's circuits (every circuit for staff), newest first",
        responses=ActivitySerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        return self.bare_list(selectors.activities_visible_to(user=request.user))

    @extend_schema(
        summary="Activities performed by a user, in the caller's circuits (all for staff)",
        responses=ActivitySerializer(many=True),
    )
    def of_user(self, request: Request, user_id: str) -> Response:
        return self.bare_list(
            selectors.activities_visible_to(user=request.user, performed_by=user_id)
        )
