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
# X-Forwarded-For/-Proto are believed only from these peers: this host and the private networks
# the platform's proxy reaches us from (Render terminates TLS in front of us and appends the
# client's address). Uvicorn then takes the rightmost address that is not a trusted proxy, so a
# client's own X-Forwarded-For entries, which sit to its left, are never taken for its address.
# Never "*": with it uvicorn takes the leftmost entry, which the client writes, and every per-IP
# rate limit could be dodged with a new forged header per request.
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
preload_app = False
