"""Account state changes."""

from django.db import transaction

from .models import User


def register_client(*, username, email, password, display_name=""):
    """Create a client account with a usable password."""
    with transaction.atomic():
        user = User(
            username=username, email=email, display_name=display_name, role=User.Role.CLIENT
        )
        user.set_password(password)
        user.save()
    return user


def update_profile(user, **fields):
    with transaction.atomic():
        for name, value in fields.items():
            setattr(user, name, value)
        user.save(update_fields=list(fields))
    return user
