"""Page throughput: req/s of the home page, the directory and a reader page under wrk, beside the
same figure for a plain Wagtail page (a StandardPage, /about/) served by the same stack.

The stack is production's: gunicorn with ``site/gunicorn.conf.py`` (uvicorn workers on the ASGI
app), ``soulseer.settings.production`` through ``bench/pages_settings.py`` (DEBUG off, WhiteNoise
with the manifest storage, the Redis cache), bound to a private port on 127.0.0.1. The database
(default ``bench_pages``) is created and migrated when missing and filled by ``load_demo_content``.

Runs, each for ``--seconds`` after a warm-up: every page for an anonymous visitor, then the reader
page again for a logged-in client (session and CSRF cookies, as a browser sends them).

Usage: .venv/bin/python bench/pages.py [--seconds 10] [--connections 8] [--workers N]
       [--database bench_pages] [--reset]
Needs wrk (/usr/bin/wrk), PostgreSQL (DATABASE_URL's server) and Redis (REDIS_URL, default
redis://127.0.0.1:6379/0 -- give it a database number of its own).
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name):
    """DATABASE_URL with its database name replaced (the server and user stay)."""
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer"))
    return urlunparse(base._replace(path=f"/{name}"))


def psql_args(url):
    parts = urlparse(url)
    args = ["-U", parts.username or "postgres"]
    if parts.hostname:
        args += ["-h", parts.hostname]
    if parts.port:
        args += ["-p", str(parts.port)]
    return args


def prepare_database(url, name, reset, env, bench_dir):
    """Create (or with ``reset`` recreate) the database, migrate it, load the demo content."""
    base = psql_args(url)
    pg_env = dict(os.environ)
    if urlparse(url).password:
        pg_env["PGPASSWORD"] = urlparse(url).password
    listed = subprocess.run(
        [
            "psql",
            *base,
            "-d",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        env=pg_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if listed and reset:
        subprocess.run(["dropdb", *base, name], env=pg_env, check=True)
        shutil.rmtree(bench_dir / "media", ignore_errors=True)
        listed = ""
    if not listed:
        print(f"creating database {name} (the first migrate takes a few minutes)")
        subprocess.run(["createdb", *base, name], env=pg_env, check=True)
    manage = [PYTHON, "manage.py"]
    steps = [
        ["migrate", "--noinput", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
        ["load_demo_content", "-v", "0"],
    ]
    for step in steps:
        started = time.perf_counter()
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True)
        print(f"  {step[0]}: {time.perf_counter() - started:.1f} s")


def django_in_process(env):
    """Configure Django here with the server's settings (same database, key and cache)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()


def pick_urls():
    from home.models import StandardPage
    from readers.models import ReaderIndexPage, ReaderPage

    directory = ReaderIndexPage.objects.live().first()
    reader = ReaderPage.objects.live().order_by("path").first()
    plain = StandardPage.objects.live().filter(slug="about").first() or (
        StandardPage.objects.live().first()
    )
    missing = [
        n for n, p in (("directory", directory), ("reader", reader), ("plain", plain)) if not p
    ]
    if missing:
        raise SystemExit(f"demo content has no {', '.join(missing)} page")
    return {
        "home": "/",
        "directory": directory.url,
        "reader page": reader.url,
        "plain page": plain.url,
    }


def client_cookies():
    """Cookies of a logged-in demo client: a real session (cached_db store) and a CSRF cookie."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string

    from accounts.models import User

    user, created = User.objects.get_or_create(
        username="bench-pages-client",
        defaults={"email": "bench-pages-client@bench.invalid", "role": "client"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = get_random_string(32)
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"


def start_gunicorn(env, port, workers, log_path):
    command = [GUNICORN, "-c", "site/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
    if workers:
        command += ["-w", str(workers)]
    command.append("soulseer.asgi:application")
    log = open(log_path, "w")  # noqa: SIM115 - closed in stop_gunicorn
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_gunicorn(process)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")


def stop_gunicorn(process):
    """SIGTERM: gunicorn stops its workers gracefully; wait, and only then insist."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def fetch(url, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def parse_duration_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url, seconds, connections, threads, cookie=None):
    command = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    # wrk's default 2 s timeout would drop (and hide) the slowest responses of a loaded machine.
    command += ["--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_duration_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = parse_duration_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "requests": requests,
        "p50": p50,
        "p99": p99,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def server_cpu_seconds(master_pid):
    """CPU time used so far by gunicorn's workers, live and exited (reaped into the master's
    cutime/cstime when max_requests recycles one). Less sensitive than req/s to other work on
    the machine: a busy machine slows a request down but barely changes the CPU it costs."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid):
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()

    master = fields(master_pid)
    total = int(master[13]) + int(master[14])  # cutime, cstime
    try:
        with open(f"/proc/{master_pid}/task/{master_pid}/children") as children:
            pids = children.read().split()
    except FileNotFoundError:
        pids = []
    for pid in pids:
        try:
            child = fields(pid)
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in child[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: conf)")
    parser.add_argument("--warmup", type=int, default=2, help="wrk warm-up seconds per page")
    parser.add_argument("--database", default="bench_pages")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    options = parser.parse_args()

    bench_dir = Path(tempfile.gettempdir()) / f"soulseer-bench-pages-{options.database}"
    bench_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(options.database)
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pages_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
            "BENCH_PAGES_DIR": str(bench_dir),
            "DATABASE_URL": url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CACHE_KEY_PREFIX": f"bench-pages-{secrets.token_hex(4)}",
            "LOG_LEVEL": "WARNING",
            # Production recycles a worker every ~2000 requests; a cached page reaches that within
            # a run, and the new worker's start-up (seconds of CPU) would be charged to whichever
            # page happens to be measured then. Off here so the pages compare like for like.
            "GUNICORN_MAX_REQUESTS": "0",
        }
    )
    env.pop("DJANGO_CONFIGURATION", None)

    print(f"load before: {load_average()} (uptime load average, 1/5/15 min)")
    prepare_database(url, options.database, options.reset, env, bench_dir)
    django_in_process(env)
    urls = pick_urls()
    cookie = client_cookies()

    port = options.port or free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = bench_dir / "gunicorn.log"
    started = time.perf_counter()
    server = start_gunicorn(env, port, options.workers, log_path)
    print(f"gunicorn on {base} in {time.perf_counter() - started:.1f} s (log: {log_path})")
    try:
        runs = [(name, path, None) for name, path in urls.items()]
        runs.append(("reader page, logged in", urls["reader page"], cookie))
        for name, path, run_cookie in runs:
            status, headers, body = fetch(base + path, run_cookie)
            if status != 200 or b"<title>" not in body:
                raise SystemExit(f"{name} {path}: status {status}")
            if run_cookie and b"Log out" not in body:
                raise SystemExit("the logged-in run is not logged in (no Log out button)")
            for _ in range(5):
                fetch(base + path, run_cookie)
            if options.warmup:
                run_wrk(
                    base + path, options.warmup, options.connections, options.threads, run_cookie
                )
        print(
            f"wrk: {options.seconds} s per page, {options.connections} connections, "
            f"{options.threads} thread(s); gunicorn workers: {options.workers or 'conf default'}"
        )
        print()
        header = (
            f"{'page':<24} | {'path':<26} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | "
            f"{'vs plain':>8} | {'CPU ms/req':>10} | {'cache':<5}"
        )
        print(header)
        print("-" * len(header))
        results = {}
        order = ["plain page", "home", "directory", "reader page", "reader page, logged in"]
        paths = dict(urls, **{"reader page, logged in": urls["reader page"]})
        for name in order:
            run_cookie = cookie if name.endswith("logged in") else None
            cpu_before = server_cpu_seconds(server.pid)
            result = run_wrk(
                base + paths[name],
                options.seconds,
                options.connections,
                options.threads,
                run_cookie,
            )
            cpu = server_cpu_seconds(server.pid) - cpu_before
            result["cpu_ms"] = cpu * 1000 / max(result["requests"], 1)
            # Whether the server answered from its page cache (X-Page-Cache), when it has one.
            _status, headers, _body = fetch(base + paths[name], run_cookie)
            result["cache"] = headers.get("X-Page-Cache", "-")
            results[name] = result
            ratio = result["rps"] / results["plain page"]["rps"]
            print(
                f"{name:<24} | {paths[name]:<26} | {result['rps']:>7.0f} | {result['p50']:>7.1f} | "
                f"{result['p99']:>7.1f} | {ratio:>8.2f} | {result['cpu_ms']:>10.2f} | "
                f"{result['cache']:<5}"
            )
            if result["non2xx"] or result["socket_errors"]:
                print(f"  ! {result['non2xx']} non-2xx responses; {result['socket_errors']}")
    finally:
        stop_gunicorn(server)
    print()
    print(f"gunicorn stopped (exit {server.returncode}); load after: {load_average()}")


if __name__ == "__main__":
    main()
