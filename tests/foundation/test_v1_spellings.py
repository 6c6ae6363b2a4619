"""Rows in the earlier engine's spellings and shapes read as DeFarm's values, on SQLite and
PostgreSQL (the full adoption from the V1 DDL is ``test_v1_engine_rows``)."""

import uuid

import pytest
from django.db.models import CharField, Value
from django.urls import reverse

from accounts.models import Notification, Tier, User
from accounts.services.tiers import tier_limits
from circuits.models import Circuit, CircuitItem, CircuitMember
from items.models import Item, LidDfidMapping
from tests.accounts.factories import NotificationFactory
from tests.adapters.factories import CircuitFactory, ItemFactory, member_add

pytestmark = pytest.mark.django_db


def store_raw(queryset, **values) -> None:
    """Write values as given, past the fields' conversion, as the engine wrote them."""
    queryset.update(**{name: Value(value, CharField()) for name, value in values.items()})


def test_lower_case_tiers_read_with_their_limits(user):
    store_raw(User.objects.filter(pk=user.pk), tier="enterprise")
    adopted = User.objects.get(pk=user.pk)
    assert adopted.tier == Tier.ENTERPRISE
    assert tier_limits(adopted.tier) == tier_limits(Tier.ENTERPRISE)
    assert User.objects.filter(pk=user.pk, tier=Tier.ENTERPRISE).exists()
    assert User.objects.filter(pk=user.pk, tier__in=[Tier.ENTERPRISE]).exists()


def test_quoted_notification_types_read_unquoted(user, auth_client):
    notification = NotificationFactory(user=user, notification_type="ItemShared")
    store_raw(Notification.objects.filter(pk=notification.pk), notification_type='"ItemShared"')
    assert Notification.objects.get(pk=notification.pk).notification_type == "ItemShared"
    assert Notification.objects.filter(notification_type="ItemShared").count() == 1
    assert '\\"ItemShared' not in auth_client.get("/api/notifications").content.decode()


def test_merged_into_debug_spelling_reads_as_merged_into(user):
    target, merged = ItemFactory(created_by=user), ItemFactory(created_by=user)
    store_raw(Item.objects.filter(pk=merged.pk), status=f'MergedInto("{target.dfid}")')
    assert Item.objects.get(pk=merged.pk).status == f"MergedInto:{target.dfid}"
    assert Item.objects.filter(status=f"MergedInto:{target.dfid}").count() == 1
    assert Item.objects.filter(status__startswith="MergedInto:").count() == 1


def _circuit_of_no_user(member):
    circuit = CircuitFactory()
    member_add(circuit, member)
    CircuitMember.objects.create(circuit=circuit, member_id="user-gone-member", role="Viewer")
    Circuit.objects.filter(pk=circuit.pk).update(owner_id="user-gone-owner")
    CircuitMember.objects.filter(circuit=circuit, role="Owner").update(member_id="user-gone-owner")
    return circuit


def test_circuits_whose_owner_and_members_are_no_user_are_listed(user, auth_client):
    circuit = _circuit_of_no_user(user)
    listed = auth_client.get("/api/circuits").content.decode()
    assert str(circuit.pk) in listed
    detail = auth_client.get(f"/api/circuits/{circuit.pk}")
    assert detail.status_code == 200
    members = {member["member_id"]: member for member in detail.json()["members"]}
    assert set(members) == {user.pk, "user-gone-owner", "user-gone-member"}
    assert members["user-gone-member"]["username"] is None


def test_admin_lists_circuits_and_members_that_are_no_user(user, staff_user, client):
    circuit = _circuit_of_no_user(user)
    client.force_login(staff_user)
    changelist = client.get(reverse("admin:circuits_circuit_changelist"))
    assert circuit in changelist.context["cl"].result_list
    members = client.get(reverse("admin:circuits_circuitmember_changelist"))
    assert {"user-gone-owner", "user-gone-member"} <= {
        row.member_id for row in members.context["cl"].result_list
    }
    change = client.get(reverse("admin:circuits_circuit_change", args=[circuit.pk]))
    assert change.status_code == 200


def test_item_without_creator_is_visible_to_who_added_it_to_a_circuit(user, auth_client):
    item = ItemFactory(created_by=None)
    CircuitItem.objects.create(circuit=CircuitFactory(), item=item, added_by=user.pk)
    assert auth_client.get(f"/api/items/{item.dfid}").status_code == 200
    assert item.dfid in auth_client.get("/api/items").content.decode()


def test_item_with_a_creator_is_not_visible_to_who_only_added_it(user, auth_client):
    item = ItemFactory()
    CircuitItem.objects.create(circuit=CircuitFactory(), item=item, added_by=user.pk)
    assert auth_client.get(f"/api/items/{item.dfid}").status_code == 404


def test_lid_mapping_without_its_local_item_answers_who_may_see_the_dfid(
    user, auth_client, other_client
):
    circuit = CircuitFactory()
    member_add(circuit, user)
    item = ItemFactory(created_by=None)
    CircuitItem.objects.create(circuit=circuit, item=item, added_by=circuit.owner_id)
    local_id = uuid.uuid4()
    LidDfidMapping.objects.create(local_id=local_id, item=item)

    answer = auth_client.get(f"/api/items/mapping/{local_id}")
    assert answer.status_code == 200
    assert item.dfid in answer.content.decode()
    assert other_client.get(f"/api/items/mapping/{local_id}").status_code == 404
