from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "readings"

    def ready(self):
        # Services queue some work by task name (readings.messaging's emails): the tasks must be
        # registered in every process that queues them, not only in the worker.
        from . import tasks  # noqa: F401
