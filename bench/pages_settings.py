"""Settings for bench/pages.py: production settings, runnable on one machine over plain HTTP.

Everything comes from ``soulseer.settings.production`` (DEBUG off, persistent connections,
WhiteNoise with the manifest storage, Redis cache); only what a local run cannot have is changed:
no HTTPS redirect, and static/media folders private to the benchmark so a run never writes into
the checkout's ``staticfiles/`` or ``media/``. bench/pages.py sets the environment it needs
(DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS, BENCH_PAGES_DIR) before importing it.
"""

import os
from pathlib import Path

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from soulseer.settings.production import *  # noqa: E402,F403

_bench_dir = Path(os.environ["BENCH_PAGES_DIR"])
STATIC_ROOT = _bench_dir / "static"
MEDIA_ROOT = _bench_dir / "media"
# Plain HTTP on 127.0.0.1: no HSTS header for a host that never served HTTPS.
SECURE_HSTS_SECONDS = 0
# Quiet console: the benchmark reads numbers from wrk, not from logs.
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
