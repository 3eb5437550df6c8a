"""Account state changes.

Both functions keep one invariant the database also enforces: at most one account per email,
compared case-insensitively (``accounts_user_email_ci_unique``). They check first so the user
gets a clear message, and turn the constraint's IntegrityError (a concurrent request won the race)
into the same message.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import User

logger = logging.getLogger(__name__)

DUPLICATE_EMAIL = "An account with this email already exists."
DUPLICATE_USERNAME = "A user with that username already exists."

PROFILE_FIELDS = frozenset(
    {"display_name", "first_name", "last_name", "email", "timezone", "marketing_opt_in"}
)


def normalize_email(email):
    return (email or "").strip().lower()


def email_in_use(email, *, exclude_user=None):
    email = normalize_email(email)
    if not email:
        return False
    users = User.objects.filter(email__iexact=email)
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


def username_in_use(username):
    return User.objects.filter(username__iexact=username).exists()


def register_client(*, username, email, password, display_name=""):
    """Create a client account with a usable password.

    Raises ValidationError (keyed by field) when the username or email is taken.
    """
    email = normalize_email(email)
    errors = {}
    if username_in_use(username):
        errors["username"] = DUPLICATE_USERNAME
    if email_in_use(email):
        errors["email"] = DUPLICATE_EMAIL
    if errors:
        raise ValidationError(errors)

    user = User(username=username, email=email, display_name=display_name, role=User.Role.CLIENT)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Lost a race with a concurrent sign-up using the same username or email.
        field = "email" if email_in_use(email) else "username"
        message = DUPLICATE_EMAIL if field == "email" else DUPLICATE_USERNAME
        raise ValidationError({field: message}) from error
    logger.info("accounts: registered client user_id=%s", user.pk)
    return user


def update_profile(user, **fields):
    """Save the user's own profile fields (never role or permissions)."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"Not a profile field: {', '.join(sorted(unknown))}")
    if "email" in fields:
        fields["email"] = normalize_email(fields["email"])
        if email_in_use(fields["email"], exclude_user=user):
            raise ValidationError({"email": DUPLICATE_EMAIL})
    for name, value in fields.items():
        setattr(user, name, value)
    try:
        with transaction.atomic():
            user.save(update_fields=list(fields))
    except IntegrityError as error:
        raise ValidationError({"email": DUPLICATE_EMAIL}) from error
    return user
