"""A metric's page as text: header, facts, change rows and the threshold form."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from heartbeat_app.display import detail
from tests.app.cards import NOW, card, due, profile, red

UTC = ZoneInfo("UTC")
APP = Path(__file__).resolve().parents[2] / "heartbeat_app"
READERS = (APP / "pages" / "metric_detail.py", APP / "components" / "operator_panel.py")


def test_the_header_of_a_red_money_metric():
    c = red(50.0, unit="money", currency="EUR", target_value=40.0, target_due_date=date(2026, 5, 1))
    h = detail.header(c, profile(), UTC, NOW)
    assert (h["value"], h["status_label"], h["unit"]) == ("€50", "RED", "money (EUR)")
    assert h["crossed"].startswith("crossed the red line (alert €90)")
    assert h["target"] == "target €40 by 01 May 2026" and h["target_line"] == "€40 by 01 May 2026"
    assert h["freshness_text"] == "as of 2026-03-10 10:00 UTC · 2h ago"
    assert h["verification"] == "verified by lead@example.com on 2026-03-07"
    assert h["direction"] == "higher is better"


def test_verification_warns_when_the_definition_changed_since():
    assert detail.verification_text(card(), profile(verified_hash="old"), UTC).endswith(
        "(the definition changed since)")
    assert detail.verification_text(card(verification_state="unverified"), profile(), UTC) == "unverified"


def test_every_key_the_page_reads_is_a_header_key():
    read = {key for path in READERS for key in re.findall(r'H\["(\w+)"\]', path.read_text())}
    assert read and read <= set(detail.Header.__annotations__)
    assert set(detail.header(card(), profile(), UTC, NOW)) == set(detail.Header.__annotations__)


def test_facts_say_who_set_which_line():
    facts = {f["label"]: f["value"] for f in detail.facts(card(), profile(threshold_set_by={
        "alert_value": "operator", "norm_value": "file"}), UTC)}
    assert facts["Set by an operator"] == "alert (red line)"
    assert facts["Tags"] == "payments" and facts["Benchmark"] == "none"


def test_a_change_row_formats_thresholds_in_the_unit():
    row = detail.change_row({"field": "alert_value", "old_value": 90, "new_value": None, "changed_by": "ana",
                             "changed_at": NOW, "note": None}, card(), UTC)
    assert row == {"field": "Alert (red line)", "old": "90.0%", "new": "—", "who": "ana",
                   "when": "2026-03-10 12:00 UTC", "note": ""}


def test_the_threshold_form_returns_only_what_changed():
    current = {"norm_value": 95.0, "alert_value": 90.0, "target_value": None, "target_due_date": None}
    form = {"norm_value": "96", "alert_value": "90", "target_value": "", "target_due_date": due(30).isoformat()}
    assert detail.parse_thresholds(form, current) == ({"norm_value": 96.0, "target_due_date": due(30)}, "")


def test_the_threshold_form_refuses_what_is_not_a_number_or_a_date():
    current = {"norm_value": 95.0}
    assert detail.parse_thresholds({"norm_value": "lots"}, current) == (
        {}, "Norm (amber line): 'lots' is not a number. Nothing was changed.")
    assert detail.parse_thresholds({"alert_value": "inf"}, current)[1] == (
        "Alert (red line): must be a finite number. Nothing was changed.")
    assert detail.parse_thresholds({"norm_value": "95", "target_due_date": "soon"}, current)[1] == (
        "Target due date: must be a date (YYYY-MM-DD). Nothing was changed.")


def test_inputs_hold_plain_numbers():
    assert detail.inputs(card(norm_value=96.5)) == {
        "owner": "ops@example.com", "norm_value": "96.5", "alert_value": "90", "target_value": "",
        "target_due_date": ""}
