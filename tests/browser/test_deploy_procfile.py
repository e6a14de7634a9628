"""Following docs/deploy/ on this machine: its Procfile, run by honcho, with its example settings file.

The settings file is docs/deploy/heartbeat.env.example with only what an operator fills in changed: the
addresses of PostgreSQL (Heartbeat's own database on the test server, the marts on a second embedded server,
its commented line taken in), of Redis (Debian's redis-server), the operator token, the port and a data
folder. Everything else — two web workers, the scheduler apart, the settings the example chose — is the
recipe's own. A viewer must then get the wall from the two workers, one `heartbeat scheduler` must lead,
and the marts must be on their own server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from playwright.sync_api import expect

from engine.core.db import Database
from engine.store.roles import COMPUTE_ROLE
from tests.browser.conftest import screenshot
from tests.conftest import OPERATOR_TOKEN
from tests.support.databases import scratch_database, second_server
from tests.support.factories import MetricFolder
from tests.support.redis_server import MISSING, REDIS_SERVER, RedisServer
from tests.support.running_app import LOG_DIR, ROOT, answers, free_port, log_tail, stop_group
from tests.support.waiting import wait_for

DEPLOY = ROOT / "docs" / "deploy"
HONCHO = Path(sys.executable).parent / "honcho"
MARTS = "marts"
METRIC = "recipe_uptime"

pytestmark = pytest.mark.skipif(not REDIS_SERVER.exists(), reason=MISSING)


def settings_file(folder: Path, filled: dict[str, str], added: dict[str, str]) -> Path:
    """The example settings with ``filled`` written over its lines (a commented one is taken in) and
    ``added`` (settings the example leaves at their defaults) at the end."""
    left = dict(filled)
    lines = []
    for line in (DEPLOY / "heartbeat.env.example").read_text().splitlines():
        key = line.lstrip("# ").split("=", 1)[0]
        lines.append(f"{key}={left.pop(key)}" if "=" in line and key in left else line)
    assert not left, f"settings the example does not name: {sorted(left)}"
    lines += [f"{key}={value}" for key, value in added.items()]
    path = folder / ".env"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Recipe:
    url: str
    process: subprocess.Popen
    app: Database
    marts_server: Database
    log: Path


def _processes(recipe: Recipe) -> dict[int, list[str]]:
    """The command line of every process under honcho, by pid."""
    found = {}
    for child in psutil.Process(recipe.process.pid).children(recursive=True):
        try:
            found[child.pid] = child.cmdline()
        except psutil.Error:
            pass
    return found


def _runs(cmdline: list[str], *args: str) -> bool:
    """``cmdline`` is the ``heartbeat`` console script run with ``args`` (not the shell that started it)."""
    script = next((i for i, part in enumerate(cmdline) if Path(part).name == "heartbeat"), None)
    return script is not None and tuple(cmdline[script + 1:]) == args


def _first_refresh(url: str) -> None:
    """What an operator does after the first start: a refresh (syncs the metrics folder, computes the wall)."""
    started = httpx.post(f"{url}/api/metrics/recompute", json={}, timeout=30,
                         headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert started.status_code == 202, started.text
    job = f"{url}/api/metrics/recompute/{started.json()['job_id']}"
    finished = wait_for(lambda: (body := httpx.get(job, timeout=10).json())["status"] not in ("queued", "running")
                     and body, 180, every=1)
    assert finished, "the first refresh did not finish in 3 minutes"


@pytest.fixture(scope="module")
def recipe(server: Database, tmp_path_factory) -> Iterator[Recipe]:
    folder = tmp_path_factory.mktemp("procfile")
    redis_server = RedisServer().start()
    port = free_port()
    log = LOG_DIR / f"procfile-{port}.log"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    # One metric reading a table that exists only in the marts on their own server: its value on the wall
    # says compute read there.
    metrics = MetricFolder(folder / "metrics")
    metrics.write(METRIC, "SELECT sum(amount) FROM sales.orders")
    with scratch_database(server, "hb_recipe") as app, second_server(folder / "marts-pg") as marts_server:
        marts_server.ensure_database(MARTS)
        with psycopg.connect(_dsn(marts_server), autocommit=True) as conn:
            conn.execute("CREATE SCHEMA sales; CREATE TABLE sales.orders (amount numeric); "
                         "INSERT INTO sales.orders VALUES (40), (57.5)")
        env_file = settings_file(folder, {
            "HEARTBEAT_DATABASE_URL": app.url().render_as_string(hide_password=False),
            "HEARTBEAT_MARTS_DATABASE_URL": marts_server.url(MARTS).render_as_string(hide_password=False),
            "HEARTBEAT_REDIS_URL": redis_server.url,
            "HEARTBEAT_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "HEARTBEAT_PORT": str(port),
            "HEARTBEAT_DATA_DIR": str(folder / "data"),
            "HEARTBEAT_PUBLIC_URL": f"http://localhost:{port}",
        }, {"HEARTBEAT_METRICS_DIR": str(metrics.path)})
        # As installed: `heartbeat` on the PATH. No HEARTBEAT_* of the test session leaks in: the file says all.
        environ = {key: value for key, value in os.environ.items() if not key.startswith("HEARTBEAT_")}
        environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
        # The compiled frontend embeds its server's port: a build folder of its own.
        environ["REFLEX_WEB_WORKDIR"] = str(ROOT / ".heartbeat" / "test" / "web-procfile")
        with open(log, "wb") as out:
            process = subprocess.Popen([str(HONCHO), "start", "-f", str(DEPLOY / "Procfile"), "-e", str(env_file),
                                        "-d", str(ROOT)], env=environ, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        recipe = Recipe(f"http://localhost:{port}", process, app, marts_server, log)
        try:
            if not wait_for(lambda: process.poll() is None and answers(recipe.url), 300):
                raise AssertionError(f"the Procfile's web process did not answer on {recipe.url}:\n{log_tail(log)}")
            _first_refresh(recipe.url)
            yield recipe
        finally:
            stop_group(process, timeout=30)
            redis_server.stop()


def test_the_procfile_runs_two_web_workers_and_the_scheduler_apart(recipe: Recipe):
    processes = _processes(recipe)
    assert any(_runs(cmd, "serve", "--workers", "2", "--no-scheduler") for cmd in processes.values()), processes
    schedulers = {pid for pid, cmd in processes.items() if _runs(cmd, "scheduler")}
    assert len(schedulers) == 1, processes
    # Both workers answer the one port (each /api/health names the worker that answered).
    seen = {httpx.get(f"{recipe.url}/api/health", timeout=10).json().get("worker_pid") for _ in range(40)}
    assert len(seen) == 2, seen
    # The scheduler process leads, not a web worker, and every schedule is listed with its next run.
    leader = wait_for(lambda: httpx.get(f"{recipe.url}/api/scheduler", timeout=10).json()["leader"], 60)
    assert leader and leader["alive"] and leader["pid"] in schedulers, (leader, processes)
    body = httpx.get(f"{recipe.url}/api/scheduler", timeout=10).json()
    assert {job["id"] for job in body["jobs"]} == {"refresh", "benchmarks", "segments", "audit"}
    assert all(job["next_run_at"] for job in body["jobs"])


def test_metric_sql_reads_the_marts_on_their_own_server(recipe: Recipe):
    body = httpx.get(f"{recipe.url}/api/metrics/{METRIC}", timeout=10).json()
    assert body["value"] == 97.5, body
    # ... as the read-only role, which Heartbeat made on that server when it first computed.
    assert _role_exists(_dsn(recipe.marts_server))


def _dsn(marts_server: Database) -> str:
    return marts_server.url(MARTS).set(drivername="postgresql").render_as_string(hide_password=False)


def _role_exists(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (COMPUTE_ROLE,)).fetchone() is not None
    except psycopg.Error:
        return False


def test_a_tv_gets_the_wall_and_the_operator_unlocks_through_the_recipe(recipe: Recipe, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(recipe.url + "/?kiosk=1")
    tile = page.locator(f'[data-metric="{METRIC}"]')
    expect(tile).to_contain_text("97.5", timeout=30_000)
    expect(tile).to_have_attribute("data-status", "green")
    screenshot(page, "cockpit-procfile-recipe-1920x1080")
    page.goto(f"{recipe.url}/metrics/{METRIC}")
    page.locator("#operator-token").fill(OPERATOR_TOKEN)
    page.locator("#operator-unlock").click()
    expect(page.locator("#operator-controls")).to_be_visible(timeout=15_000)
