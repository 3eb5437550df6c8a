"""Test settings: real PostgreSQL and Redis, fast hashing, no network."""

import os
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

from .base import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests must not leave connections behind (see notes/browser-and-websocket-tests.md).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Redis outlives a test run (CI runs on the same machine again): a prefix per run keeps cached
# fragments and rate-limit counters of earlier runs, whose page ids repeat, out of this one.
CACHES["default"]["KEY_PREFIX"] = f"soulseer-test-{uuid.uuid4().hex[:12]}"  # noqa: F405
# Tests change rows behind the page cache's back (queryset updates, fixtures); the cache's own
# tests (home/tests/test_page_cache.py) switch it on.
PAGE_CACHE_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WAGTAILADMIN_BASE_URL = "http://testserver"
