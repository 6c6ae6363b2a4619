"""The earlier engine's circuit routes (CONTRACT.md §8.9-8.12), each answering with and
without a trailing slash, then DeFarm's additions. Fixed segments (``list``, ``member``,
``operations``, ``push/batch``) come before the patterns that would take them for an id."""

from django.urls import re_path

from circuits.api.views.activities import ActivityViewSet
from circuits.api.views.circuits import CircuitViewSet
from circuits.api.views.members import JoinRequestViewSet, MemberViewSet, RoleViewSet
from circuits.api.views.operations import OperationViewSet, PendingItemViewSet, PushPullViewSet
from circuits.api.views.post_actions import PostActionViewSet, PostActionWebhookViewSet
from circuits.api.views.public import PublicCircuitView, PublicJoinViewSet

CIRCUIT = r"circuits/(?P<circuit_id>[^/]+)"


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view, name=name)


circuits = CircuitViewSet.as_view
members = MemberViewSet.as_view
roles = RoleViewSet.as_view
join_requests = JoinRequestViewSet.as_view
operations = OperationViewSet.as_view
pending_items = PendingItemViewSet.as_view

webhooks = PostActionWebhookViewSet.as_view

urlpatterns = [
    # §8.9 circuits
    route("circuits", circuits({"get": "list", "post": "create"}), "circuit-list"),
    route("circuits/list", circuits({"get": "list"}), "circuit-list-alias"),
    route(
        r"circuits/member/(?P<member_id>[^/]+)",
        circuits({"get": "member_circuits"}),
        "circuit-member-circuits",
    ),
    route(
        r"circuits/operations/(?P<operation_id>[^/]+)/approve",
        operations({"post": "approve"}),
        "circuit-operation-approve",
    ),
    route(
        r"circuits/operations/(?P<operation_id>[^/]+)/reject",
        operations({"post": "reject"}),
        "circuit-operation-reject",
    ),
    route(
        CIRCUIT,
        circuits({"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}),
        "circuit-detail",
    ),
    route(rf"{CIRCUIT}/deactivate", circuits({"put": "deactivate"}), "circuit-deactivate"),
    route(
        rf"{CIRCUIT}/public-settings",
        circuits({"put": "public_settings"}),
        "circuit-public-settings",
    ),
    route(
        rf"{CIRCUIT}/visibility/toggle",
        circuits({"put": "toggle_visibility"}),
        "circuit-visibility-toggle",
    ),
    route(
        rf"{CIRCUIT}/post-actions",
        PostActionViewSet.as_view({"get": "retrieve", "put": "update"}),
        "circuit-post-actions",
    ),
    route(
        rf"{CIRCUIT}/post-actions/webhooks",
        webhooks({"post": "create"}),
        "circuit-post-action-webhooks",
    ),
    route(
        rf"{CIRCUIT}/post-actions/webhooks/(?P<webhook_id>[^/]+)",
        webhooks({"get": "retrieve", "put": "update", "delete": "destroy"}),
        "circuit-post-action-webhook",
    ),
    route(
        rf"{CIRCUIT}/post-actions/webhooks/(?P<webhook_id>[^/]+)/test",
        webhooks({"post": "test"}),
        "circuit-post-action-webhook-test",
    ),
    route(
        rf"{CIRCUIT}/post-actions/deliveries",
        webhooks({"get": "deliveries"}),
        "circuit-post-action-deliveries",
    ),
    route(rf"{CIRCUIT}/adapter", circuits({"get": "adapter", "put": "adapter"}), "circuit-adapter"),
    route(rf"{CIRCUIT}/items", circuits({"get": "items"}), "circuit-items"),
    route(rf"{CIRCUIT}/activities", circuits({"get": "activities"}), "circuit-activities"),
    # §8.10 members, roles, join requests
    route(rf"{CIRCUIT}/members", members({"post": "create"}), "circuit-members"),
    route(
        rf"{CIRCUIT}/members/(?P<member_id>[^/]+)",
        members({"patch": "partial_update", "delete": "destroy"}),
        "circuit-member",
    ),
    route(rf"{CIRCUIT}/roles", roles({"get": "list", "post": "create"}), "circuit-roles"),
    route(
        rf"{CIRCUIT}/roles/(?P<role_name>[^/]+)",
        roles({"put": "update", "delete": "destroy"}),
        "circuit-role",
    ),
    route(rf"{CIRCUIT}/requests", join_requests({"post": "create"}), "circuit-join-requests"),
    route(
        rf"{CIRCUIT}/requests/pending",
        join_requests({"get": "pending"}),
        "circuit-join-requests-pending",
    ),
    route(
        rf"{CIRCUIT}/requests/(?P<requester_id>[^/]+)/approve",
        join_requests({"post": "approve"}),
        "circuit-join-request-approve",
    ),
    route(
        rf"{CIRCUIT}/requests/(?P<requester_id>[^/]+)/reject",
        join_requests({"post": "reject"}),
        "circuit-join-request-reject",
    ),
    # §8.11 push, pull, operations, pending items
    route(
        rf"{CIRCUIT}/push-local",
        PushPullViewSet.as_view({"post": "push_local"}),
        "circuit-push-local",
    ),
    route(
        rf"{CIRCUIT}/push-events",
        PushPullViewSet.as_view({"post": "push_events"}),
        "circuit-push-events",
    ),
    route(
        rf"{CIRCUIT}/push/batch",
        PushPullViewSet.as_view({"post": "push_batch"}),
        "circuit-push-batch",
    ),
    route(
        rf"{CIRCUIT}/push/(?P<dfid>[^/]+)",
        PushPullViewSet.as_view({"post": "push"}),
        "circuit-push",
    ),
    route(
        rf"{CIRCUIT}/pull/(?P<dfid>[^/]+)",
        PushPullViewSet.as_view({"post": "pull"}),
        "circuit-pull",
    ),
    route(rf"{CIRCUIT}/operations", operations({"get": "list"}), "circuit-operations"),
    route(
        rf"{CIRCUIT}/operations/pending",
        operations({"get": "pending"}),
        "circuit-operations-pending",
    ),
    route(
        rf"{CIRCUIT}/operations/(?P<operation_id>[^/]+)",
        operations({"get": "retrieve"}),
        "circuit-operation",
    ),
    route(rf"{CIRCUIT}/pending-items", pending_items({"get": "list"}), "circuit-pending-items"),
    route(
        rf"{CIRCUIT}/pending-items/(?P<pending_id>[^/]+)/approve",
        pending_items({"post": "approve"}),
        "circuit-pending-item-approve",
    ),
    route(
        rf"{CIRCUIT}/pending-items/(?P<pending_id>[^/]+)/reject",
        pending_items({"post": "reject"}),
        "circuit-pending-item-reject",
    ),
    # §8.12 public circuit views
    route(rf"{CIRCUIT}/public", PublicCircuitView.as_view(), "circuit-public"),
    route(
        rf"{CIRCUIT}/public/join",
        PublicJoinViewSet.as_view({"post": "create"}),
        "circuit-public-join",
    ),
    # §8.21 activities
    route("activities", ActivityViewSet.as_view({"get": "list"}), "activity-list"),
    route(
        r"activities/user/(?P<user_id>[^/]+)",
        ActivityViewSet.as_view({"get": "of_user"}),
        "activity-user",
    ),
]
