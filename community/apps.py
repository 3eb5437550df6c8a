from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"

    def ready(self):
        # Registers the forum's tasks in every process, so the services queue them by name.
        from . import tasks  # noqa: F401
