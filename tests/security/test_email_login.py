"""A login by e-mail finds the account with that e-mail only: no username can stand in for
someone's e-mail, and e-mails differing only in case never make DeFarm guess."""

import pytest

from accounts.models import User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER_PASSWORD = "Att4cker-pass!"


def login(client, login_name: str, password: str):
    return client.post("/api/auth/login", {"username": login_name, "password": password})


def v1_user(username: str, email: str, password: str) -> User:
    """A row as a V1 database may hold it (written before DeFarm's rules existed)."""
    user = User(username=username, email=email)
    user.set_password(password)
    user.save()
    return user


@pytest.mark.parametrize("username", ["victim@example.com", "VICTIM@example.com", "a@b"])
def test_a_username_that_looks_like_an_email_is_refused(api_client, username):
    UserFactory(username="victim", email="victim@example.com")
    response = api_client.post(
        "/api/auth/register",
        {"username": username, "email": "attacker@example.com", "password": ATTACKER_PASSWORD},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "username" in response.json()["details"]
    assert login(api_client, "victim@example.com", DEFAULT_PASSWORD).status_code == 200


def test_staff_cannot_create_an_email_like_username_either(staff_client):
    response = staff_client.post(
        "/api/admin/users",
        {"username": "x@example.com", "email": "x@example.com", "password": ATTACKER_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert "username" in response.json()["details"]


def test_a_v1_username_equal_to_someone_elses_email_does_not_capture_their_login(api_client):
    victim = UserFactory(username="victim", email="victim@example.com")
    # Inserted first, so a "username OR e-mail, first row wins" lookup would find it.
    v1_user("victim@example.com", "attacker@example.com", ATTACKER_PASSWORD)
    response = login(api_client, "victim@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == victim.pk
    assert login(api_client, "victim@example.com", ATTACKER_PASSWORD).status_code == 401


def test_v1_emails_differing_in_case_log_in_the_account_whose_password_matches(api_client):
    first = v1_user("ana1", "Ana@example.com", "First-pass1!")
    second = v1_user("ana2", "ana@example.com", "Second-pass2!")
    for spelling in ("ana@example.com", "ANA@example.com", "Ana@example.com"):
        assert login(api_client, spelling, "First-pass1!").json()["user_id"] == first.pk
        assert login(api_client, spelling, "Second-pass2!").json()["user_id"] == second.pk
        assert login(api_client, spelling, "Wrong-pass3!").status_code == 401


def test_v1_emails_differing_in_case_with_one_password_never_guess(api_client):
    v1_user("bo1", "Bo@example.com", "Same-pass1!")
    second = v1_user("bo2", "bo@example.com", "Same-pass1!")
    assert login(api_client, "bo@example.com", "Same-pass1!").json()["user_id"] == second.pk
    assert login(api_client, "BO@example.com", "Same-pass1!").status_code == 401
    assert login(api_client, "bo1", "Same-pass1!").status_code == 200  # the username works
