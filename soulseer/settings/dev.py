"""Local development: the embedded stack writes its service URLs into .devstack/env."""

import os
from pathlib import Path

_devstack_env = Path(__file__).resolve().parent.parent.parent / ".devstack" / "env"
if _devstack_env.exists():
    # Let `manage.py shell` etc. find the embedded services started by `make run`,
    # without overriding anything set explicitly.
    for _line in _devstack_env.read_text().splitlines():
        if "=" in _line and not _line.startswith("#"):
            _key, _value = _line.split("=", 1)
            os.environ.setdefault(_key, _value)

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")

from .base import *  # noqa: E402,F403

DEBUG = True
ALLOWED_HOSTS = ["*"]
# Templates and code change under `make run`: no stored pages unless asked for.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "0"))
