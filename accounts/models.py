from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class User(AbstractUser):
    """A SoulSeer account. ``role`` decides which parts of the site a person can use."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        READER = "reader", "Reader"
        STAFF = "staff", "Staff"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT, db_index=True)
    display_name = models.CharField(max_length=80, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    marketing_opt_in = models.BooleanField(default=False)
    # Set by a moderator (community.moderation.suspend): until then the account may read but
    # not post, message, book or take part in readings, and a reader cannot go online.
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["client", "reader", "staff"]),
                name="accounts_user_role_valid",
            ),
            # One account per email, case-insensitively: sign-up and Auth0's associate-by-email
            # both rely on it. Accounts without an email (possible for social logins) are exempt.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message="An account with this email already exists.",
            ),
        ]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def public_name(self):
        return self.display_name or self.first_name or self.username

    @property
    def is_suspended(self):
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def is_client(self):
        return self.role == self.Role.CLIENT

    @property
    def is_reader(self):
        return self.role == self.Role.READER

    @property
    def is_staff_role(self):
        return self.role == self.Role.STAFF or self.is_superuser
