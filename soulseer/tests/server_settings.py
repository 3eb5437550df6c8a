"""Production settings for a gunicorn started by a test: plain HTTP on 127.0.0.1, unhashed static
files (no collectstatic), and rate-limit counters of their own (TEST_RATELIMIT_PREFIX)."""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from soulseer.settings.production import *  # noqa: E402,F403

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
SECURE_HSTS_SECONDS = 0
RATELIMIT_CACHE_PREFIX = os.environ["TEST_RATELIMIT_PREFIX"]
