"""Registration and login answers do not tell a stranger which accounts exist, nor confirm
the password of a suspended account."""

import pytest

from accounts.models import UserStatus
from accounts.services.staff import user_set_status
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Str0ng-pass!"


def register(client, **body):
    payload = {"username": "maria", "email": "maria@example.com", "password": STRONG, **body}
    return client.post("/api/auth/register", payload, format="json")


def test_registration_conflicts_answer_the_same_whichever_account_exists(api_client):
    assert register(api_client).status_code == 200
    by_username = register(api_client, email="someone-else@example.com")
    by_email = register(api_client, username="someone-else")
    both = register(api_client)
    assert by_username.status_code == by_email.status_code == both.status_code == 409
    assert by_username.json() == by_email.json() == both.json()
    assert "details" not in by_username.json()


@pytest.mark.parametrize(
    "status", [UserStatus.SUSPENDED, UserStatus.BANNED, UserStatus.PENDING_VERIFICATION]
)
def test_login_to_an_inactive_account_answers_the_same_whatever_the_password(api_client, status):
    user = UserFactory(status=status)
    right = api_client.post(
        "/api/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    wrong = api_client.post("/api/auth/login", {"username": user.username, "password": "No-1!xyz"})
    unknown = api_client.post("/api/auth/login", {"username": "ghost", "password": "No-1!xyz"})
    assert right.status_code == wrong.status_code == unknown.status_code == 401
    assert right.json() == wrong.json() == unknown.json()


def test_a_suspended_user_learns_of_it_through_a_notification(staff_user, user):
    user_set_status(admin=staff_user, user=user, status=UserStatus.SUSPENDED)
    assert user.notifications.filter(notification_type="account_frozen").exists()
