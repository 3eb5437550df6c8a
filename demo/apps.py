from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content for `make run`: readers, pages, products and images built through the
    services, kept out of the apps the product runs on."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
