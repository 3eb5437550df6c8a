"""Factories other apps import: ``UserFactory()``, ``UserFactory(reader=True)``,
``UserFactory(staff=True)``. Every user's password is ``DEFAULT_PASSWORD``."""

import factory

from accounts.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    display_name = factory.LazyAttribute(lambda u: u.first_name)
    role = User.Role.CLIENT
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        client = factory.Trait(role=User.Role.CLIENT)
        reader = factory.Trait(role=User.Role.READER)
        # The staff role also opens Django/Wagtail admin.
        staff = factory.Trait(role=User.Role.STAFF, is_staff=True)
