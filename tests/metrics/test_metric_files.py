"""Metric files: valid ones parse; every kind of mistake names the file, the line and the fix."""

from __future__ import annotations

import pytest

from engine.metrics.files import MetricFilesInvalid, load_directory, parse_file
from tests.support.factories import metric_text


def _errors(folder) -> list[str]:
    with pytest.raises(MetricFilesInvalid) as info:
        load_directory(folder.path)
    return [str(e) for e in info.value.errors]


def test_a_valid_file_parses_with_its_header_and_sql(folder):
    folder.write("approval_rate", "SELECT 97.5 -- the value", target="98", target_due_date="2027-06-30",
                 benchmark="{kind: rolling_stat, window_days: 28}", owner="ops@example.com", tags="[payments]")
    [definition] = load_directory(folder.path)
    assert definition.id == "approval_rate"
    assert definition.header.period == "24h"
    assert definition.value_sql == "SELECT 97.5 -- the value"
    assert definition.benchmark_kind == "rolling_stat" and definition.benchmark_window_days == 28
    assert definition.source_pairs == [("webbank", "core")]
    assert definition.file_thresholds["target_due_date"] == "2027-06-30"


def test_unknown_key_lists_the_valid_keys_with_its_line(folder):
    path = folder.write("approval_rate", colour="red")
    [error] = _errors(folder)
    assert error.startswith(f"{path}:10: unknown key 'colour'; valid keys: name, how_to_read")


def test_missing_value_sql_is_reported(folder):
    path = folder.write("approval_rate", sql="-- nothing here")
    [error] = _errors(folder)
    assert f"{path}:" in error and "missing value SQL" in error


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("period", "1w", "period: must be 'snapshot', '24h', '7d', '30d' or 'funnel', got '1w'"),
        ("direction", "up", "direction: must be 'higher_is_better' or 'lower_is_better'"),
        ("unit", "money", "unit money needs a currency"),
        ("sources", "[webbank.payments]", "unknown source schema webbank.payments; registered: webbank.core"),
        ("owner", "bob", "owner must be an email address"),
        ("norm", ".nan", "norm: must be a finite number"),
        ("benchmark", "{kind: rolling_stat, window_days: 2}", "benchmark.window_days: must be greater than or equal to 7"),
    ],
)
def test_bad_values_say_what_is_wrong_on_their_line(folder, field, value, expected):
    path = folder.write("approval_rate", **{field: value})
    [error] = _errors(folder)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith(f"-- {field}:"))
    assert error.startswith(f"{path}:{line}: ")
    assert expected in error


def test_norm_beyond_alert_for_the_direction_is_refused(folder):
    path = folder.write("approval_rate", norm="85", alert="90")
    [error] = _errors(folder)
    assert error.startswith(f"{path}:8: norm 85.0 must lie on the good side of alert 90.0")


def test_lower_is_better_wants_norm_below_alert(folder):
    folder.write("latency", direction="lower_is_better", unit="seconds", norm="60", alert="30")
    [error] = _errors(folder)
    assert "amber line sits below the red line" in error


def test_yaml_syntax_error_names_the_line(folder):
    path = folder.write_raw("broken.sql", metric_text().replace("-- period: 24h", "-- period: [24h"))
    [error] = _errors(folder)
    assert error.startswith(f"{path}:")
    assert "not valid YAML" in error


def test_header_must_come_first(folder):
    path = folder.write_raw("no_header.sql", "SELECT 1\n")
    [error] = _errors(folder)
    assert error.startswith(f"{path}:1: the file must start with a header block")


def test_duplicate_ids_name_both_files(folder):
    folder.write("approval_rate")
    folder.write_raw("Approval_Rate.sql", metric_text())
    errors = _errors(folder)
    assert any("duplicate metric id 'approval_rate'" in e for e in errors)


def test_file_name_must_be_a_metric_id(folder):
    folder.write_raw("Approval-Rate.sql", metric_text())
    errors = _errors(folder)
    assert any("is not a metric id: use lower_snake_case" in e for e in errors)


def test_every_broken_file_is_reported_at_once(folder):
    folder.write("one", period="x")
    folder.write("two", direction="y")
    folder.write("fine")
    assert len(_errors(folder)) == 2


def test_definition_hash_ignores_whitespace_but_not_meaning(folder):
    a = folder.write("alpha", "SELECT  97.5")
    b = folder.write("beta", "SELECT 97.5\n")
    c = folder.write("gamma", "SELECT 97.6")
    ha, hb, hc = (parse_file(p)[0].definition_hash for p in (a, b, c))
    assert ha == hb != hc
