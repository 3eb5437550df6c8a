"""Make dj-stripe work against a local localstripe server (idempotent; run after every start).

- an ``Account`` and ``APIKey`` row, so dj-stripe never calls ``GET /v1/account`` (localstripe
  lacks it);
- a local ``WebhookEndpoint`` row (localstripe does not implement the WebhookEndpoint API);
- registers that endpoint's URL and secret with localstripe, which keeps webhook config in memory.
"""

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

LOCAL_ACCOUNT_ID = "acct_local"
LOCAL_WEBHOOK_ID = "we_local"
LOCALSTRIPE_WEBHOOK_NAME = "djstripe"


class Command(BaseCommand):
    help = (
        "Seed dj-stripe's Account/APIKey/WebhookEndpoint rows and register the webhook "
        "with localstripe."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            default=None,
            help="Where localstripe should post events (default: settings.SITE_URL).",
        )

    def handle(self, *args, site_url=None, **options):
        api_host = getattr(settings, "STRIPE_API_HOST", "")
        if urlsplit(api_host).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise CommandError(
                f"STRIPE_API_HOST is {api_host!r}; setup_local_stripe only talks to a local "
                "localstripe server."
            )
        secret_key = settings.STRIPE_SECRET_KEY
        if not secret_key.startswith("sk_test_"):
            raise CommandError("STRIPE_SECRET_KEY must be a test key (sk_test_...).")

        endpoint = self._seed_rows(secret_key, site_url or settings.SITE_URL)
        self._register_with_localstripe(api_host, endpoint)
        self.stdout.write(f"Local Stripe ready: webhooks from {api_host} go to {endpoint.url}")

    def _seed_rows(self, secret_key, site_url):
        from djstripe.enums import APIKeyType
        from djstripe.models import Account, APIKey, WebhookEndpoint

        webhook_secret = settings.DJSTRIPE_WEBHOOK_SECRET or "whsec_" + "localstripe" * 3
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(
                id=LOCAL_ACCOUNT_ID,
                defaults={
                    "livemode": False,
                    "stripe_data": {
                        "id": LOCAL_ACCOUNT_ID,
                        "object": "account",
                        "type": "standard",
                        "country": "US",
                        "default_currency": "usd",
                        "charges_enabled": True,
                        "payouts_enabled": True,
                        "details_submitted": True,
                        "email": "stripe@soulseer.local",
                        "settings": {"dashboard": {"display_name": "SoulSeer (local)"}},
                    },
                },
            )
            APIKey.objects.update_or_create(
                secret=secret_key,
                defaults={
                    "type": APIKeyType.secret,
                    "livemode": False,
                    "name": "localstripe",
                    "djstripe_owner_account": account,
                },
            )
            endpoint = WebhookEndpoint.objects.filter(id=LOCAL_WEBHOOK_ID).first()
            if endpoint is None:
                endpoint = WebhookEndpoint(
                    id=LOCAL_WEBHOOK_ID,
                    livemode=False,
                    enabled_events=["*"],
                    status="enabled",
                    djstripe_owner_account=account,
                )
            path = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid])
            endpoint.url = site_url.rstrip("/") + path
            endpoint.secret = webhook_secret
            endpoint.save()
        return endpoint

    def _register_with_localstripe(self, api_host, endpoint):
        url = f"{api_host.rstrip('/')}/_config/webhooks/{LOCALSTRIPE_WEBHOOK_NAME}"
        body = json.dumps({"url": endpoint.url, "secret": endpoint.secret}).encode()
        request = urllib.request.Request(  # noqa: S310 - local http URL checked above
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(
                f"Could not register the webhook with localstripe at {url}: {exc}"
            ) from exc
