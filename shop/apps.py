from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished


def _merge_visitor_cart(sender, request, user, **kwargs):
    """What a visitor put in their cart before logging in stays in it after."""
    from . import services

    if request is not None and hasattr(request, "session"):
        services.merge_session_cart(request, user)


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"

    def ready(self):
        # The shop index builds its context with the catalogue, which imports the models: handing
        # the module over here keeps that dependency one way (catalogue -> models), as readers do.
        from wallet import card_sales

        from . import catalogue, services
        from .models import ShopIndexPage

        ShopIndexPage.catalogue = catalogue
        user_logged_in.connect(_merge_visitor_cart, dispatch_uid="shop.merge_visitor_cart")
        # A card payment for an order pays it from the wallet once Stripe's webhook credits it.
        card_sales.register(
            "order", paid=services.card_payment_cleared, failed=services.card_payment_failed
        )
        self._sync_products_with_stripe()

    def _sync_products_with_stripe(self):
        """Publishing, unpublishing or deleting a product page syncs its Stripe Product and
        Price; ``shop.webhooks`` checks what Stripe reports back."""
        from . import stripe_sync, webhooks  # noqa: F401 - webhooks connects its handlers
        from .models import ProductPage

        for signal, receiver in (
            (page_published, stripe_sync.page_published),
            (page_unpublished, stripe_sync.page_unpublished),
            (post_delete, stripe_sync.page_deleted),
        ):
            signal.connect(
                receiver, sender=ProductPage, dispatch_uid=f"shop.stripe_sync.{receiver.__name__}"
            )
