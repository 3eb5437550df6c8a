"""social-auth pipeline steps for Auth0 logins."""

from .models import User


def set_initial_role(backend, user=None, is_new=False, *args, **kwargs):
    """Give a user created by their first social login the client role.

    Acts only on new users so a role staff changed later is never overwritten on the next login.
    """
    if user is not None and is_new:
        user.role = User.Role.CLIENT
        user.save(update_fields=["role"])
    return {"user": user}
