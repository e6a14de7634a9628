"""`heartbeat metric new` and `heartbeat cut new`: a file naming every key, valid as written, and
never overwriting anything. (That the scaffolds pass `metric validate` and `cuts refresh` on real data
is tests/docs/test_runbooks.py: the runbooks run them.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.audit import scaffold as cut_scaffold
from engine.audit.files import OPTIONAL, REQUIRED, load_cut
from engine.core.errors import ConfigError
from engine.metrics import scaffold
from engine.metrics.files import Header, parse_file

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT = str(Path(sys.executable).parent / "heartbeat")


def test_metric_template_names_every_header_key_and_parses(tmp_path):
    path = scaffold.create(tmp_path, "clients_total")
    text = path.read_text()
    unnamed = [key for key in Header.model_fields if f"-- {key}:" not in text and f"-- # {key}:" not in text]
    assert unnamed == []
    definition, problems = parse_file(path)
    assert problems == [] and definition.header.sources == ["webbank.core"]
    assert "FROM webbank_core.client_profile" in definition.value_sql


def test_metric_new_reads_the_source_and_table_asked_for(tmp_path):
    path = scaffold.create(tmp_path, "cards_total", "card_management.cards", "card")
    definition, problems = parse_file(path)
    assert problems == [] and definition.header.sources == ["card_management.cards"]
    assert "FROM card_management_cards.card" in definition.value_sql


@pytest.mark.parametrize("args, message", [
    (("Bad-Id",), "is not a metric id"),
    (("fine_id", "nowhere.core"), "unknown source schema 'nowhere.core'; registered: webbank.core"),
    (("fine_id", "webbank.core", "drop table"), "is not a table name"),
])
def test_metric_new_refuses_bad_input_and_writes_nothing(tmp_path, args, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        scaffold.create(tmp_path, *args)
    assert list(tmp_path.iterdir()) == []


def test_metric_new_never_overwrites(tmp_path):
    (tmp_path / "mine.sql").write_text("my work")
    with pytest.raises(ConfigError, match="already exists"):
        scaffold.create(tmp_path, "mine")
    assert (tmp_path / "mine.sql").read_text() == "my work"


def test_cut_template_names_every_meta_key_loads_and_takes_the_next_free_position(tmp_path):
    for path in (ROOT / "cuts").glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text())
    path = cut_scaffold.create(tmp_path, "payments_rows_check", page="journeys", metrics=["payments_24h"])
    text = path.read_text()
    assert [key for key in (*REQUIRED, *OPTIONAL) if f'    "{key}":' not in text] == []
    definition, problems = load_cut(path, known_metrics={"payments_24h"})
    assert problems == [] and definition.metrics == ("payments_24h",) and definition.page == "journeys"
    others = [load_cut(p)[0] for p in tmp_path.glob("*.py") if p != path]
    assert definition.order == max(d.order for d in others if d.page == "journeys") + 10
    with pytest.raises(ConfigError, match="--page must be one of overview, clients, journeys"):
        cut_scaffold.create(tmp_path, "other_cut", page="elsewhere")
    with pytest.raises(ConfigError, match="already exists"):
        cut_scaffold.create(tmp_path, "payments_rows_check")


def test_cli_says_what_was_written_and_refuses_in_one_line(tmp_path, db):
    env = {**os.environ, "HEARTBEAT_METRICS_DIR": str(tmp_path), "HEARTBEAT_DATA_DIR": str(tmp_path / "data"),
           "HEARTBEAT_DATABASE_URL": db.url().render_as_string(hide_password=False), "COLUMNS": "200"}
    done = subprocess.run([HEARTBEAT, "metric", "new", "clients_total"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"wrote {tmp_path / 'clients_total.sql'}" in done.stdout
    assert "heartbeat metric validate clients_total" in done.stdout
    again = subprocess.run([HEARTBEAT, "metric", "new", "clients_total"], env=env, capture_output=True, text=True,
                           timeout=120)
    said = again.stdout + again.stderr
    assert again.returncode == 1 and said.startswith("error: ") and "already exists" in said
    assert "Traceback" not in said and len(said.strip().splitlines()) <= 2
