"""Production settings: refuse to start half-configured, pass Django's deploy check when configured.

Each test starts a fresh interpreter, because settings are read once per process.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(**overrides):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_SETTINGS_MODULE": "soulseer.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "soulseer.example",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_refuse_to_load_without_a_secret_key():
    result = run_python(
        ["-c", "import django; django.setup()"], production_env(DJANGO_SECRET_KEY=None)
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_name_every_missing_variable():
    result = run_python(
        ["-c", "import django; django.setup()"],
        production_env(DATABASE_URL=None, REDIS_URL=None),
    )

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "REDIS_URL" in result.stderr


def test_deploy_check_passes_with_a_production_like_environment():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("given, level", [("warning", 30), ("WARNING", 30), ("Debug", 10)])
def test_log_level_is_accepted_in_any_case(given, level):
    result = run_python(
        [
            "-c",
            "import django, logging; django.setup(); print(logging.getLogger().level)",
        ],
        production_env(LOG_LEVEL=given),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(level)
