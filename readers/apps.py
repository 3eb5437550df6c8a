from django.apps import AppConfig


class ReadersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "readers"

    def ready(self):
        # Pages build their context with the selectors, which import the models: handing the
        # module over here keeps that dependency one way (selectors -> models).
        from . import selectors
        from .models import ReaderIndexPage, ReaderPage

        ReaderIndexPage.selectors = ReaderPage.selectors = selectors
