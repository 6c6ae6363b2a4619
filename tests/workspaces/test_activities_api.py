"""Activities (pushes, pulls, enrichments) of the circuits the caller is a member of, in the
earlier engine's ActivityResponse shape, as bare arrays."""

import pytest

from circuits.models import Activity
from tests.circuits.factories import CircuitFactory, member_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ACTIVITY_KEYS = {
    "activity_id",
    "activity_type",
    "circuit_id",
    "circuit_name",
    "item_dfids",
    "user_id",
    "timestamp",
    "status",
    "details",
}


@pytest.fixture
def activities(user, other_user):
    """One activity in ``user``'s circuit by a member, one in ``other_user``'s circuit."""
    mine = CircuitFactory(owner=user)
    member = member_of(mine)
    theirs = CircuitFactory(owner=other_user)
    return {
        "member": member,
        "mine": Activity.objects.create(
            activity_type="Push",
            circuit=mine,
            circuit_name=mine.name,
            dfids=["DFID-1"],
            performed_by=member.pk,
            status="Success",
            timestamp_ts=200,
        ),
        "theirs": Activity.objects.create(
            activity_type="Pull",
            circuit=theirs,
            circuit_name=theirs.name,
            dfids=[],
            performed_by=member.pk,
            status="Success",
            timestamp_ts=100,
        ),
    }


def ids(response):
    return [row["activity_id"] for row in response.json()]


def test_members_see_their_circuits_activities(activities, auth_client, other_client):
    mine = str(activities["mine"].pk)
    theirs = str(activities["theirs"].pk)

    response = auth_client.get("/api/activities")
    assert response.status_code == 200
    assert ids(response) == [mine]
    assert set(response.json()[0]) == ACTIVITY_KEYS
    assert response.json()[0]["item_dfids"] == ["DFID-1"]
    assert response["X-Total-Count"] == "1"
    assert ids(client_for(activities["member"]).get("/api/activities/")) == [mine]
    assert ids(other_client.get("/api/activities")) == [theirs]


def test_staff_see_every_activity_newest_first(activities, staff_client):
    assert ids(staff_client.get("/api/activities")) == [
        str(activities["mine"].pk),
        str(activities["theirs"].pk),
    ]


def test_user_route_lists_that_users_activities_in_the_callers_circuits(
    activities, auth_client, other_client, staff_client
):
    path = f"/api/activities/user/{activities['member'].pk}"

    assert ids(auth_client.get(path)) == [str(activities["mine"].pk)]
    assert ids(other_client.get(path)) == [str(activities["theirs"].pk)]
    assert len(staff_client.get(path).json()) == 2
    assert ids(staff_client.get("/api/activities/user/user-nobody")) == []


def test_anonymous_callers_are_refused(api_client, activities):
    assert api_client.get("/api/activities").status_code == 401
    assert api_client.get(f"/api/activities/user/{activities['member'].pk}").status_code == 401
