import factory

from accounts.models import Tier, User
from accounts.services.users import user_create

DEFAULT_PASSWORD = "Sup3r-secret!"


class UserFactory(factory.django.DjangoModelFactory):
    """A user made through ``user_create``, so it has its balance and welcome credits."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = DEFAULT_PASSWORD
    tier = Tier.BASIC

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)


class StaffFactory(UserFactory):
    is_admin = True
    tier = Tier.ADMIN


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Notification"

    user = factory.SubFactory(UserFactory)
    notification_type = "member_added"
    title = factory.Sequence(lambda n: f"Notification {n}")
    message = "Something happened."
