"""Two organisations share cattle through one circuit that approves every push."""

import pytest

from accounts.models import CreditTransaction
from tests.accounts.factories import UserFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

EAR_TAG = {
    "namespace": "bovino",
    "key": "sisbov",
    "value": "BR123456789012",
    "id_type": "Canonical",
}


def balance(client) -> int:
    return client.get("/users/me/credits/balance").json()["credits"]


def test_two_organisations_tokenize_the_same_animal_through_an_approving_circuit():
    coop = UserFactory(username="coop", workspace_id="valley-coop-workspace")
    farmer = UserFactory(username="farmer", workspace_id="valley-coop-workspace")
    buyer = UserFactory(username="buyer", workspace_id="meatpacker-workspace")
    owner, farm, packer = client_for(coop), client_for(farmer), client_for(buyer)

    # The cooperative opens a circuit that approves every push.
    response = owner.post(
        "/api/circuits",
        {
            "name": "Valley cattle",
            "permissions": {"require_approval_for_push": True},
            "alias_config": {"required_canonical": ["sisbov"], "allowed_namespaces": ["bovino"]},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    circuit = f"/api/circuits/{response.json()['circuit_id']}"

    # Its farmer is invited; the packer of the other organisation asks to join.
    assert (
        owner.post(f"{circuit}/members", {"member_id": farmer.pk, "role": "Member"}).status_code
        == 200
    )
    assert packer.post(f"{circuit}/requests", {"message": "We buy here"}).status_code == 200
    response = owner.post(f"{circuit}/requests/{buyer.pk}/approve", {"role": "Member"})
    assert response.status_code == 200, response.content

    before = {"coop": balance(owner), "farmer": balance(farm), "buyer": balance(packer)}

    # The farmer registers the animal locally and pushes it: it waits for approval.
    local = farm.post(
        "/api/items/local",
        {
            "identifiers": [EAR_TAG, {"namespace": "bovino", "key": "lot", "value": "L-7"}],
            "enriched_data": {"breed": "Nelore"},
        },
        format="json",
    )
    assert local.status_code == 200, local.content
    first_local_id = local.json()["data"]["local_id"]
    pushed = farm.post(f"{circuit}/push-local", {"local_id": first_local_id}, format="json")
    assert pushed.status_code == 200, pushed.content
    assert pushed.json()["data"]["status"] == "PendingApproval"
    assert pushed.json()["data"]["dfid"] is None

    # The owner approves it: the local item is tokenized to a new DFID.
    [pending] = owner.get(f"{circuit}/pending-items").json()["data"]
    approved = owner.post(f"{circuit}/pending-items/{pending['pending_id']}/approve")
    assert approved.status_code == 200, approved.content
    dfid = approved.json()["data"]["dfid"]
    assert dfid.startswith("DFID-")
    mapping = farm.get(f"/api/items/mapping/{first_local_id}").json()["data"]
    assert mapping == {"local_id": first_local_id, "dfid": dfid, "status": "Tokenized"}

    # The packer registers the same animal (same ear tag) with its own data and pushes it.
    local = packer.post(
        "/api/items/local",
        {"identifiers": [EAR_TAG], "enriched_data": {"carcass_weight_kg": 280}},
        format="json",
    )
    second_local_id = local.json()["data"]["local_id"]
    pushed = packer.post(f"{circuit}/push-local", {"local_id": second_local_id}, format="json")
    assert pushed.json()["data"]["status"] == "PendingApproval"
    [pending] = owner.get(f"{circuit}/pending-items").json()["data"]
    approved = owner.post(f"{circuit}/pending-items/{pending['pending_id']}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["data"]["dfid"] == dfid  # the same animal, the same DFID

    # One item in the circuit, enriched by both organisations, visible to both.
    items = owner.get(f"{circuit}/items").json()
    assert [row["dfid"] for row in items] == [dfid]
    enriched = farm.get(f"/api/items/{dfid}").json()
    assert enriched["enriched_data"] == {"breed": "Nelore", "carcass_weight_kg": 280}
    assert packer.get(f"/api/items/{dfid}").status_code == 200

    # Activities: one push each, the first created the DFID, the second enriched it.
    activities = owner.get(f"{circuit}/activities").json()
    by_member = {a["user_id"]: a for a in activities}
    assert set(by_member) == {farmer.pk, buyer.pk}
    assert by_member[farmer.pk]["details"]["result"] == "NewItemCreated"
    assert by_member[buyer.pk]["details"]["result"] == "ExistingItemEnriched"
    assert all(
        a["item_dfids"] == [dfid] and a["details"]["approver_id"] == coop.pk for a in activities
    )
    operations = owner.get(f"{circuit}/operations?status=Completed").json()
    assert len(operations) == 2

    # Credits (Basic tier): the farmer paid the new DFID (2) and the push (3), the packer only
    # the push (3); the approving owner paid nothing.
    assert balance(farm) == before["farmer"] - 5
    assert balance(packer) == before["buyer"] - 3
    assert balance(owner) == before["coop"]
    assert CreditTransaction.objects.filter(user=buyer, transaction_type="Consumption").count() == 1
