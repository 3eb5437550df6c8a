"""social-auth pipeline steps for Auth0 logins."""

from social_core.exceptions import AuthAssociationError

from .models import User
from .services import normalize_email


def associate_by_verified_email(backend, details, user=None, *args, **kwargs):
    """Attach a first social login to the existing account with the same email, but only when
    the provider says the email is verified.

    social_core's own ``associate_by_email`` trusts any email, so anyone able to register the
    victim's address, unverified, at the provider would take over the local account. When the
    email is unverified and already in use, the login is refused (creating a second account with
    the same email would break the one-account-per-email rule); the user sees social_core's
    standard message for ``email_in_use`` on the login page, the detail below goes to the logs.
    """
    if user is not None:
        return None
    email = normalize_email(details.get("email"))
    if not email:
        return None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        return None
    if details.get("email_verified") is True:
        return {"user": existing, "is_new": False}
    raise AuthAssociationError(
        backend,
        "Unverified provider email matches an existing account; not linking it.",
        code="email_in_use",
        stage="pipeline",
    )


def set_initial_role(backend, user=None, is_new=False, *args, **kwargs):
    """Give a user created by their first social login the client role.

    Acts only on new users so a role staff changed later is never overwritten on the next login.
    """
    if user is not None and is_new:
        user.role = User.Role.CLIENT
        user.save(update_fields=["role"])
    return {"user": user}
