import pytest

from accounts.models import Tier
from circuits.models import Circuit, CircuitMember, CircuitStatus
from circuits.permissions import ALL_PERMISSIONS
from tests.accounts.factories import UserFactory
from tests.circuits.factories import CircuitFactory, circuit_url, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_create_makes_the_caller_owner_with_all_nine_permissions(auth_client, user):
    response = auth_client.post(
        "/api/circuits",
        {
            "name": "Valley cattle",
            "description": "Traders",
            "permissions": {"require_approval_for_push": True},
            "alias_config": {"required_canonical": ["sisbov"], "allowed_namespaces": ["bovino"]},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["owner_id"] == user.pk
    assert body["status"] == "Active"
    assert body["permissions"] == {
        "require_approval_for_push": True,
        "require_approval_for_pull": False,
        "allow_public_visibility": False,
    }
    assert body["alias_config"]["required_canonical"] == ["sisbov"]
    [owner] = body["members"]
    assert owner["member_id"] == user.pk
    assert owner["role"] == "Owner"
    assert sorted(owner["permissions"]) == sorted(ALL_PERMISSIONS)
    assert len(owner["permissions"]) == 9


def test_create_refuses_bad_settings(auth_client):
    response = auth_client.post(
        "/api/circuits",
        {"name": "X", "alias_config": {"allowed_namespaces": ["martian"]}},
        format="json",
    )
    assert response.status_code == 400
    assert "martian" in response.json()["message"]
    response = auth_client.post(
        "/api/circuits", {"name": "X", "permissions": {"anyone_can_delete": True}}, format="json"
    )
    assert response.status_code == 400
    assert not Circuit.objects.exists()


def test_create_respects_the_tier_circuit_limit(user):
    client = client_for(user)
    for n in range(5):  # Basic tier: 5 circuits
        assert client.post("/api/circuits", {"name": f"c{n}"}).status_code == 200
    response = client.post("/api/circuits", {"name": "one too many"})
    assert response.status_code == 403
    assert response.json()["error"] == "tier_limit_exceeded"
    assert "circuits" in response.json()["message"]
    # Archiving one frees a place.
    circuit = Circuit.objects.filter(owner=user).first()
    assert client.delete(circuit_url(circuit)).status_code == 204
    assert client.post("/api/circuits", {"name": "again"}).status_code == 200


def test_create_with_adapter_beyond_the_tier_is_refused(auth_client):
    response = auth_client.post(
        "/api/circuits",
        {"name": "X", "adapter_config": {"adapter_type": "stellar_mainnet-ipfs"}},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "tier_limit_exceeded"


def test_anonymous_gets_401(api_client, circuit):
    assert api_client.get("/api/circuits").status_code == 401
    assert api_client.get(circuit_url(circuit)).status_code == 401
    assert api_client.post("/api/circuits", {"name": "x"}).status_code == 401


def test_list_shows_only_my_circuits_and_filters_by_status(auth_client, user, other_user):
    mine = CircuitFactory(owner=user)
    joined = CircuitFactory(owner=other_user)
    member_of(joined, "Viewer", user=user)
    CircuitFactory(owner=other_user)  # not mine
    inactive = CircuitFactory(owner=user)
    inactive.status = CircuitStatus.INACTIVE
    inactive.save()
    archived = CircuitFactory(owner=user)
    archived.status = CircuitStatus.ARCHIVED
    archived.save()

    ids = {c["circuit_id"] for c in auth_client.get("/api/circuits").json()}
    assert ids == {str(mine.pk), str(joined.pk), str(inactive.pk)}

    active = auth_client.get("/api/circuits?status=Active").json()
    assert {c["circuit_id"] for c in active} == {str(mine.pk), str(joined.pk)}
    archived_list = auth_client.get("/api/circuits?status=archived").json()
    assert [c["circuit_id"] for c in archived_list] == [str(archived.pk)]


def test_include_public_adds_public_circuits_by_default(auth_client, other_user):
    public = CircuitFactory(owner=other_user, permissions={"allow_public_visibility": True})
    CircuitFactory(owner=other_user)
    assert auth_client.get("/api/circuits?include_public=false").json() == []
    for query in ("", "?include_public=true"):
        results = auth_client.get(f"/api/circuits{query}").json()
        assert [c["circuit_id"] for c in results] == [str(public.pk)]
    # A public circuit can be read by a non-member; for anything else it does not exist.
    assert auth_client.get(circuit_url(public)).status_code == 200
    assert auth_client.patch(circuit_url(public), {"name": "mine"}).status_code == 404


def test_detail_is_404_for_non_members_and_visible_to_staff(other_client, staff_client, circuit):
    assert other_client.get(circuit_url(circuit)).status_code == 404
    assert other_client.get("/api/circuits/not-a-uuid").status_code == 404
    response = staff_client.get(circuit_url(circuit))
    assert response.status_code == 200
    assert response.json()["name"] == circuit.name
    # Staff see it but hold no circuit permission.
    assert staff_client.patch(circuit_url(circuit), {"name": "x"}).status_code == 403


def test_paths_answer_with_and_without_trailing_slash(auth_client, circuit):
    assert auth_client.get(circuit_url(circuit)).status_code == 200
    assert auth_client.get(circuit_url(circuit, "/")).status_code == 200
    assert auth_client.get(circuit_url(circuit, "/items/")).status_code == 200


def test_patch_updates_settings_and_merges_permission_flags(auth_client, circuit):
    response = auth_client.patch(
        circuit_url(circuit),
        {
            "name": "Renamed",
            "permissions": {"require_approval_for_pull": True},
            "alias_config": {"required_contextual": ["lot"]},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["permissions"]["require_approval_for_pull"] is True
    assert body["permissions"]["require_approval_for_push"] is False
    assert body["alias_config"]["required_contextual"] == ["lot"]
    response = auth_client.patch(circuit_url(circuit), {"status": "Archived"}, format="json")
    assert response.status_code == 400


def test_patch_needs_manage_permissions(circuit):
    admin = member_of(circuit, "Admin")
    response = client_for(admin).patch(circuit_url(circuit), {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "ManagePermissions" in response.json()["message"]


def test_deactivate_and_reactivate(auth_client, circuit):
    response = auth_client.put(circuit_url(circuit, "/deactivate"))
    assert response.status_code == 200
    assert response.json()["status"] == "Inactive"
    response = auth_client.patch(circuit_url(circuit), {"status": "Active"}, format="json")
    assert response.json()["status"] == "Active"


def test_delete_archives_and_needs_delete_permission(auth_client, circuit):
    admin = member_of(circuit, "Admin")
    assert client_for(admin).delete(circuit_url(circuit)).status_code == 403
    assert auth_client.delete(circuit_url(circuit)).status_code == 204
    circuit.refresh_from_db()
    assert circuit.status == CircuitStatus.ARCHIVED
    assert CircuitMember.objects.filter(circuit=circuit).count() == 2  # history kept
    response = auth_client.put(circuit_url(circuit, "/deactivate"))
    assert response.status_code == 409
    assert response.json()["error"] == "circuit_archived"


def test_enterprise_owner_has_no_circuit_limit():
    owner = UserFactory(tier=Tier.ENTERPRISE)
    client = client_for(owner)
    for n in range(6):
        assert client.post("/api/circuits", {"name": f"c{n}"}).status_code == 200


def test_archived_circuit_only_changes_its_status(user, staff_user):
    from circuits.services import circuit_archive, circuit_update
    from defarm.api.exceptions import Conflict

    circuit = CircuitFactory(owner=user)
    circuit_archive(circuit=circuit, actor=user)
    with pytest.raises(Conflict):
        circuit_update(circuit=circuit, actor=staff_user, name="new name")
    restored = circuit_update(circuit=circuit, actor=staff_user, status="Active")
    assert restored.status == CircuitStatus.ACTIVE


@pytest.mark.parametrize("path", ["", "/{id}/operations", "/{id}/pending-items"])
def test_unknown_status_filter_is_a_400_naming_the_choices(auth_client, user, path):
    from circuits.services import circuit_create

    circuit = circuit_create(owner=user, name="Filters")
    url = "/api/circuits" + path.format(id=circuit.circuit_id)
    response = auth_client.get(url, {"status": "Bogus"})
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert "status" in response.json()["details"]
