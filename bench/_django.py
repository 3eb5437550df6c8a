"""Shared set-up for benchmarks: Django settings, the database URL, pgbench beside us."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings.dev")


def setup():
    import django

    django.setup()


def pg_connection_args():
    """pgbench/psql arguments for the server DATABASE_URL points at (TCP or a socket folder)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    args = ["-U", db.get("USER") or "postgres"]
    if db.get("HOST"):
        args += ["-h", unquote(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    return args


def pgbench_tps(clients, seconds, scale=4):
    """TPS of pgbench's built-in tpcb-like script on a scratch database on the same server."""
    return _pgbench(clients, seconds, ["-i", "-q", "-s", str(scale)], None, ["-b", "tpcb-like"])


def pgbench_script_tps(clients, seconds, init_sql, script):
    """TPS of pgbench running ``script`` (a pgbench script file's text) on a scratch database
    set up by ``init_sql``, on the same server."""
    return _pgbench(clients, seconds, None, init_sql, ["-f", "-"], stdin=script)


def _pgbench(clients, seconds, init_args, init_sql, run_args, stdin=None):
    from django.conf import settings

    base = pg_connection_args()
    name = os.environ.get("PGBENCH_SCRATCH_DB", "bench_perf_pgbench")
    env = dict(os.environ)
    password = settings.DATABASES["default"].get("PASSWORD")
    if password:
        env["PGPASSWORD"] = password
    subprocess.run(["dropdb", *base, "--if-exists", name], check=True, env=env)
    subprocess.run(["createdb", *base, name], check=True, env=env)
    try:
        if init_args:
            subprocess.run(
                ["pgbench", *base, *init_args, name], check=True, env=env, capture_output=True
            )
        if init_sql:
            subprocess.run(
                ["psql", *base, "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
                input=init_sql,
                check=True,
                env=env,
                capture_output=True,
                text=True,
            )
        out = subprocess.run(
            [
                "pgbench",
                *base,
                *run_args,
                "-c",
                str(clients),
                "-j",
                str(clients),
                "-T",
                str(seconds),
                "-n",
                name,
            ],
            input=stdin,
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        match = re.search(r"tps = ([\d.]+)", out)
        return float(match.group(1)) if match else float("nan")
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", name], check=False, env=env)


def describe_database():
    from django.conf import settings

    db = settings.DATABASES["default"]
    host = unquote(db.get("HOST") or "local socket")
    return f"{db['NAME']} on {host}"


__all__ = ["setup", "pgbench_tps", "pgbench_script_tps", "describe_database"]
