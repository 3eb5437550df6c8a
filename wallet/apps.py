from django.apps import AppConfig


class WalletConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallet"

    def ready(self):
        from . import payments, services, webhooks  # noqa: F401 - connects the Stripe handlers

        if payments.on_wallet_debited not in services.post_transfer_hooks:
            services.post_transfer_hooks.append(payments.on_wallet_debited)
