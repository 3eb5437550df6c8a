"""gunicorn settings for production.

    gunicorn -c site/gunicorn.conf.py soulseer.asgi:application

Loaded by path (``site`` is not a Python package). Uvicorn workers serve the ASGI app, so HTTP and
the reading-room WebSockets go through the same processes. Values can be overridden from the
environment.
"""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2 + 1)))
# Long-lived WebSockets are fine: the timeout only bounds a worker that stops answering its arbiter.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Trust X-Forwarded-* from the platform's load balancer (Render terminates TLS in front of us).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
preload_app = False
