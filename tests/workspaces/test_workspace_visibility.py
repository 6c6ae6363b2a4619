"""A workspace whose ``settings.default_visibility`` is ``Workspace`` shows the items and
circuits of the users whose own workspace it is (``user_accounts.workspace_id``) to its other
members, read-only; ``Private`` (the default) shows them to no one through the workspace."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User, Workspace, WorkspaceMember, WorkspaceVisibility
from accounts.selectors import workspace_sharers
from accounts.services.workspaces import (
    workspace_member_add,
    workspace_member_remove,
    workspace_personal_ensure,
    workspace_update,
)
from circuits.models import Circuit
from circuits.selectors import circuits_for_user
from items.models import Item
from items.selectors import item_is_visible_to, items_visible_to
from tests.accounts.factories import StaffFactory, UserFactory
from tests.circuits.factories import CircuitFactory
from tests.conftest import client_for
from tests.items.factories import canonical, item_for, local_item_for

pytestmark = pytest.mark.django_db


class Org:
    """Workspace ``acme-workspace``, owned by ``owner`` (whose own workspace it is); ``creator``
    registered into it too (same ``workspace_id``) and is a Member; ``viewer`` is a Member
    whose own workspace is personal; ``outsider`` belongs to none of it."""

    def __init__(self, visibility: str = WorkspaceVisibility.WORKSPACE):
        self.owner = UserFactory(workspace_name="acme")
        self.workspace = workspace_personal_ensure(user=self.owner)
        assert self.workspace.pk == "acme-workspace"
        self.creator = UserFactory(workspace_name="acme")
        assert self.creator.workspace_id == self.workspace.pk
        self.viewer = UserFactory()
        self.outsider = UserFactory()
        for member in (self.creator, self.viewer):
            workspace_member_add(
                workspace=self.workspace, actor=self.owner, member=member, role="Member"
            )
        self.set_visibility(visibility)
        self.item = item_for(self.creator, canonical(), enriched_data={"breed": "Nelore"})
        self.circuit = CircuitFactory(owner=self.creator, name="Acme traders")

    def set_visibility(self, visibility: str) -> None:
        workspace_update(
            workspace=self.workspace,
            actor=self.owner,
            settings={"default_visibility": visibility},
        )

    def leave(self, user: User) -> None:
        membership = WorkspaceMember.objects.get(workspace=self.workspace, user=user)
        workspace_member_remove(workspace=self.workspace, actor=user, membership=membership)


@pytest.fixture
def org():
    return Org()


def sees_item(user: User, item: Item) -> bool:
    client = client_for(user)
    listed = item.dfid in {row["dfid"] for row in client.get("/api/items").json()}
    status = client.get(f"/api/items/{item.dfid}").status_code
    assert status in (200, 404)
    assert listed == (status == 200)
    in_selector = items_visible_to(user=user).filter(pk=item.pk).exists()
    assert in_selector == item_is_visible_to(user=user, item=item) == listed
    return listed


def sees_circuit(user: User, circuit: Circuit) -> bool:
    client = client_for(user)
    listed = str(circuit.pk) in {
        row["circuit_id"] for row in client.get("/api/circuits?include_public=false").json()
    }
    status = client.get(f"/api/circuits/{circuit.pk}").status_code
    assert status in (200, 404)
    assert listed == (status == 200)
    assert listed == circuits_for_user(user=user).filter(pk=circuit.pk).exists()
    return listed


def test_members_see_the_items_and_circuits_of_a_workspace_that_shares(org):
    for member in (org.owner, org.viewer):
        assert sees_item(member, org.item)
        assert sees_circuit(member, org.circuit)
    assert not sees_item(org.outsider, org.item)
    assert not sees_circuit(org.outsider, org.circuit)


def test_a_private_workspace_shares_nothing():
    org = Org(WorkspaceVisibility.PRIVATE)
    assert not sees_item(org.viewer, org.item)
    assert not sees_circuit(org.viewer, org.circuit)
    org.set_visibility(WorkspaceVisibility.WORKSPACE)
    assert sees_item(org.viewer, org.item)
    org.set_visibility(WorkspaceVisibility.PRIVATE)
    assert not sees_item(org.viewer, org.item)
    assert not sees_circuit(org.viewer, org.circuit)


def test_leaving_the_workspace_removes_access(org):
    org.leave(org.viewer)
    assert not sees_item(org.viewer, org.item)
    assert not sees_circuit(org.viewer, org.circuit)


def test_a_creator_who_leaves_stops_sharing(org):
    org.leave(org.creator)
    assert not sees_item(org.viewer, org.item)
    assert not sees_circuit(org.viewer, org.circuit)


def test_only_the_creators_own_workspace_shares(org):
    """The viewer's items are not shared with the org: the viewer's own workspace is its
    personal one, which shares with nobody else even when set to Workspace."""
    personal = workspace_personal_ensure(user=org.viewer)
    workspace_update(
        workspace=personal,
        actor=org.viewer,
        settings={"default_visibility": WorkspaceVisibility.WORKSPACE},
    )
    mine = item_for(org.viewer, canonical())
    my_circuit = CircuitFactory(owner=org.viewer)
    for other in (org.owner, org.creator, org.outsider):
        assert not sees_item(other, mine)
        assert not sees_circuit(other, my_circuit)
    assert sees_item(org.viewer, mine)


def test_a_user_carrying_the_workspace_id_without_membership_shares_nothing():
    org = Org()
    stranger = UserFactory(workspace_name="acme")  # the same workspace_id, never added
    theirs = item_for(stranger, canonical())
    assert not sees_item(org.viewer, theirs)
    assert not workspace_sharers(user=org.viewer).filter(user_id=stranger.pk).exists()


def test_staff_see_everything(org):
    """Staff read every item and circuit (their circuit list stays their own circuits)."""
    staff = StaffFactory()
    assert sees_item(staff, org.item)
    assert client_for(staff).get(f"/api/circuits/{org.circuit.pk}").status_code == 200


def test_local_items_stay_their_owners(org):
    local = local_item_for(org.creator, canonical())
    assert not items_visible_to(user=org.viewer).filter(pk=local.pk).exists()
    assert not item_is_visible_to(user=org.viewer, item=local)


def test_workspace_sharing_is_read_only(org):
    client = client_for(org.viewer)
    circuit_url = f"/api/circuits/{org.circuit.pk}"
    assert client.get(f"{circuit_url}/items").status_code == 200
    assert client.put(circuit_url, {"name": "Mine now"}, format="json").status_code == 403
    assert client.put(f"{circuit_url}/deactivate").status_code == 403
    assert client.post(f"{circuit_url}/push/{org.item.dfid}").status_code == 403
    assert (
        client.post(
            f"{circuit_url}/members", {"member_id": org.viewer.pk, "role": "Admin"}, format="json"
        ).status_code
        == 403
    )
    item_url = f"/api/items/{org.item.dfid}"
    assert client.put(item_url, {"enriched_data": {"x": 1}}, format="json").status_code == 403
    assert client.delete(item_url).status_code == 403
    event = {"dfid": org.item.dfid, "event_type": "updated", "visibility": "public"}
    assert client.post("/api/events", event, format="json").status_code == 403
    org.circuit.refresh_from_db()
    assert org.circuit.name == "Acme traders"
    assert Item.objects.get(pk=org.item.pk).status == "Active"


def test_members_see_the_creators_identifiers_and_data(org):
    body = client_for(org.viewer).get(f"/api/items/{org.item.dfid}").json()
    assert body["enriched_data"] == {"breed": "Nelore"}
    assert body["identifiers"]


def test_settings_accept_and_answer_the_visibility(org):
    client = client_for(org.owner)
    url = f"/api/workspaces/{org.workspace.pk}"
    response = client.put(url, {"settings": {"default_visibility": "private"}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["settings"]["default_visibility"] == "Private"
    assert not sees_item(org.viewer, org.item)
    response = client.put(url, {"settings": {"default_visibility": "Everyone"}}, format="json")
    assert response.status_code == 400
    assert Workspace.objects.get(pk=org.workspace.pk).settings["default_visibility"] == "Private"
    member_put = client_for(org.viewer).put(
        url, {"settings": {"default_visibility": "Workspace"}}, format="json"
    )
    assert member_put.status_code == 403


def _shared_rows(org: Org, count: int, tag: str) -> None:
    """``count`` more members of the org whose own workspace it is, each with an item and a
    circuit."""
    members = User.objects.bulk_create(
        User(
            username=f"{tag}{n}",
            email=f"{tag}{n}@example.com",
            password="!",
            workspace_id=org.workspace.pk,
        )
        for n in range(count)
    )
    WorkspaceMember.objects.bulk_create(
        WorkspaceMember(workspace=org.workspace, user=member, role="Member") for member in members
    )
    Item.objects.bulk_create(
        Item(dfid=f"DFID-{tag}-{n}", item_hash="0" * 64, created_by=member)
        for n, member in enumerate(members)
    )
    Circuit.objects.bulk_create(
        Circuit(owner=member, name=f"{tag}{n}") for n, member in enumerate(members)
    )


@pytest.mark.parametrize("path", ["/api/items", "/api/circuits?include_public=false"])
def test_list_query_counts_do_not_grow_with_shared_rows(org, path):
    client = client_for(org.viewer)
    _shared_rows(org, 3, "few")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(path).json()) == 1 + 3
    _shared_rows(org, 27, "many")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(path).json()) == 1 + 3 + 27
    assert len(many) == len(few)
