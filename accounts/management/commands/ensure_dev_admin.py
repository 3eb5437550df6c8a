"""Create or update the development superuser and the demo reader and client logins that
`make run` prints in its Ready banner."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from soulseer.devstack import dev_admin_password


class Command(BaseCommand):
    help = (
        "Create or update a staff superuser for local development. The password comes from "
        "DEV_ADMIN_PASSWORD, else it is generated once and kept in .devstack/admin-password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@soulseer.local")
        parser.add_argument(
            "--logins-file",
            help="Also write the logins (without the password) to this JSON file, for the banner.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never do this on a public deployment).",
        )

    def handle(self, *args, username, email, force, logins_file=None, **options):
        if not settings.DEBUG and not force:
            raise CommandError("ensure_dev_admin is for development only (DEBUG is off).")
        password = dev_admin_password()
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=username).first()
            created = user is None
            if created:
                user = User(username=username, email=email, display_name="Site admin")
            user.role = User.Role.STAFF
            user.is_staff = True
            user.is_superuser = True
            user.is_active = True
            if created or not user.check_password(password):
                user.set_password(password)
            user.save()
        base = settings.SITE_URL.rstrip("/")
        state = "created" if created else "ready"
        self.stdout.write(f"Dev admin {state}.")
        logins = [("Admin", f"{base}/admin/", username), *self.demo_logins(base, password)]
        for label, url, login in logins:
            self.stdout.write(f"{label} login: {url}  user: {login}  password: {password}")
        if logins_file:
            rows = [{"label": label, "url": url, "username": login} for label, url, login in logins]
            Path(logins_file).write_text(json.dumps(rows, indent=2) + "\n")

    def demo_logins(self, base, password):
        """Give the first demo reader and a demo client the same dev password, so both sides of a
        reading can be tried locally (demo readers otherwise have no usable password). Returns
        their (label, login URL, username) rows."""
        with transaction.atomic():
            reader = (
                User.objects.select_for_update()
                .filter(role=User.Role.READER, reader_page__isnull=False)
                .order_by("reader_page__path")
                .first()
            )
            client, _ = User.objects.select_for_update().get_or_create(
                username="demo-client",
                defaults={"email": "demo-client@soulseer.local", "display_name": "Demo Client"},
            )
            for user in filter(None, (reader, client)):
                if not user.check_password(password):
                    user.set_password(password)
                    user.save(update_fields=["password"])
        logins = []
        if reader is not None:
            logins.append(("Demo reader", f"{base}/accounts/login/", reader.username))
        logins.append(("Demo client", f"{base}/accounts/login/", client.username))
        return logins
