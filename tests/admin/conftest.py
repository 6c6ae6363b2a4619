import pytest
from django.test import Client


@pytest.fixture
def admin_client_for():
    def build(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return build


@pytest.fixture
def staff_browser(staff_user, admin_client_for) -> Client:
    """A Django test client logged in to the admin as staff."""
    return admin_client_for(staff_user)
