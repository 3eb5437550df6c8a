"""Production: everything from the environment; refuses to start without a required value."""

import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Missing required environment variable(s) for production: " + ", ".join(_missing)
    )

from .base import *  # noqa: E402,F403

DEBUG = False
# No persistent connections by default: the web service is ASGI (uvicorn workers), where Django
# runs each request's sync code in a fresh thread, so a kept connection is never reused and they
# pile up until PostgreSQL refuses new clients ("too many clients", seen in bench/pages.py with
# 2 workers). Sync processes (Celery) may set DB_CONN_MAX_AGE; pooling needs psycopg[pool].
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = True

# dj-stripe warns (djstripe.W002) when STRIPE_API_HOST exists with DEBUG off; base.py always sets
# it, so keep it only when the environment points the API somewhere on purpose.
if not os.environ.get("STRIPE_API_HOST"):
    del STRIPE_API_HOST  # noqa: F821

# security.W019 wants X_FRAME_OPTIONS = "DENY", but Wagtail's live preview renders the page in a
# same-origin iframe inside the admin, so SAMEORIGIN (set in base.py) is deliberate.
SILENCED_SYSTEM_CHECKS = ["security.W019"]
