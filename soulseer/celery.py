import os

from celery import Celery

# True when this import chose the settings (the launcher must not pass that choice on to tests).
SETTINGS_DEFAULTED = "DJANGO_SETTINGS_MODULE" not in os.environ
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings.dev")

app = Celery("soulseer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
