"""The launcher behind `make run` / `make test`: the checks that must happen before anything starts,
the exec wrapper's exit code, and the dev admin."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from soulseer import devstack

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def busy_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def launcher_env(**extra):
    """The current environment with every service URL set, so the launcher never starts any."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("STRIPE_SECRET_KEY", devstack.LOCAL_STRIPE_SECRET_KEY)
    env.update(extra)
    return env


def test_a_free_port_counts_as_free():
    port = devstack.free_port()

    assert devstack.port_is_free(port)


def test_a_port_someone_listens_on_counts_as_busy(busy_port):
    assert not devstack.port_is_free(busy_port)


def test_the_port_check_exits_non_zero_with_a_clear_message(busy_port, capsys):
    with pytest.raises(SystemExit) as exit_info:
        devstack.check_port_or_exit(busy_port)

    assert exit_info.value.code != 0
    assert f"Port {busy_port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_the_launcher_refuses_a_busy_port_before_starting_anything(busy_port):
    result = subprocess.run(
        [sys.executable, "-m", "soulseer.devstack", "run", "--port", str(busy_port)],
        cwd=ROOT,
        env=launcher_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "already in use" in result.stderr
    assert "started" not in result.stdout


def test_the_exec_wrapper_returns_the_commands_exit_code_and_passes_the_urls_on():
    env = launcher_env()
    command = "import os, sys; print(os.environ['DATABASE_URL']); sys.exit(7)"

    result = subprocess.run(
        [sys.executable, "-m", "soulseer.devstack", "exec", "--", sys.executable, "-c", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 7
    assert result.stdout.strip() == env["DATABASE_URL"]
    assert "PostgreSQL" not in result.stdout  # nothing was started


def test_the_dev_admin_password_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setattr(devstack, "ADMIN_PASSWORD_FILE", tmp_path / "admin-password")
    monkeypatch.setenv("DEV_ADMIN_PASSWORD", "from-the-env")

    assert devstack.dev_admin_password() == "from-the-env"
    assert not (tmp_path / "admin-password").exists()


def test_a_generated_dev_admin_password_stays_the_same_across_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(devstack, "DEVSTACK", tmp_path)
    monkeypatch.setattr(devstack, "ADMIN_PASSWORD_FILE", tmp_path / "admin-password")
    monkeypatch.delenv("DEV_ADMIN_PASSWORD", raising=False)

    first = devstack.dev_admin_password()

    assert len(first) >= 12
    assert devstack.dev_admin_password() == first


@pytest.mark.django_db
def test_ensure_dev_admin_creates_a_staff_superuser_and_prints_the_login(
    monkeypatch, settings, capsys
):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.setenv("DEV_ADMIN_PASSWORD", "correct horse battery")

    call_command("ensure_dev_admin")
    call_command("ensure_dev_admin")  # a second run updates, never duplicates

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == User.Role.STAFF
    assert admin.check_password("correct horse battery")
    assert User.objects.filter(username="admin").count() == 1
    assert (
        "Admin login: http://127.0.0.1:8000/admin/  user: admin  password: correct horse battery"
        in capsys.readouterr().out
    )


@pytest.mark.django_db
def test_ensure_dev_admin_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("ensure_dev_admin")

    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_ensure_dev_admin_gives_a_demo_reader_and_client_the_dev_password(
    monkeypatch, settings, capsys
):
    settings.DEBUG = True
    monkeypatch.setenv("DEV_ADMIN_PASSWORD", "correct horse battery")

    call_command("ensure_dev_admin")

    client = User.objects.get(username="demo-client")
    assert client.role == User.Role.CLIENT
    assert client.check_password("correct horse battery")
    assert "Demo client login:" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_ready_banner_prints_the_admin_demo_reader_and_demo_client_logins_with_the_password(
    monkeypatch, settings, tmp_path, capsys
):
    from readings.tests.factories import make_reader

    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.setenv("DEV_ADMIN_PASSWORD", "correct horse battery")
    monkeypatch.setattr(devstack, "LOGINS_FILE", tmp_path / "dev-logins.json")
    reader = make_reader(presence="offline").user

    call_command("ensure_dev_admin", logins_file=str(devstack.LOGINS_FILE))
    banner = devstack.ready_logins("http://127.0.0.1:8000/", "correct horse battery")

    login = "http://127.0.0.1:8000/accounts/login/"
    assert banner == [
        "Admin login: http://127.0.0.1:8000/admin/  user: admin  password: correct horse battery",
        f"Demo reader login: {login}  user: {reader.username}  password: correct horse battery",
        f"Demo client login: {login}  user: demo-client  password: correct horse battery",
    ]
    assert reader.__class__.objects.get(pk=reader.pk).check_password("correct horse battery")
    printed = capsys.readouterr().out
    assert all(line in printed for line in banner)
