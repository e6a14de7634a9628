"""Cut registry sync from a folder of cut modules: add, change, remove, and every way a module can be broken.

Each broken folder raises one error naming the module and the fix, and leaves
the registry exactly as it was. The metric ids a cut may name are those of the
real ``metrics/`` folder, synced into a database of this module's own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.audit import edits, files, kinds, read, registry
from engine.core.errors import FieldRejected, NotFound
from engine.metrics import registry as metric_registry
from tests.support.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
    META = {{
        "page": "{page}", "title": "{title}", "order": {order}, "kind": "table",
        "metrics": ["collateral_covered_by_company"], "sources": ["webbank.core"],
        "windows": ["30d", "90d"], "window_default": "30d", "owner": {owner},
        "prose_before": "Before.", "prose_after": "After.",
    }}

    def compute(conn, *, window):
        return {{"kind": "table", "columns": ["a"], "rows": [[1]]}}
"""


def write(folder: Path, cut_id: str, body: str | None = None, **fields) -> Path:
    values = {"page": "clients", "title": f"Cut {cut_id}", "order": 1, "owner": "None", **fields}
    path = folder / f"{cut_id}.py"
    path.write_text(textwrap.dedent(body if body is not None else GOOD.format(**values)))
    return path


@pytest.fixture(scope="module")
def engine(server):
    with scratch_database(server, "t_cutreg") as app:
        metric_registry.sync(app.engine(), ROOT / "metrics")
        yield app.engine()


@pytest.fixture
def folder(tmp_path: Path, engine) -> Path:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM heartbeat.audit_cut_registry"))
    return tmp_path


def rows(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {r["id"]: dict(r) for r in conn.execute(text("SELECT * FROM heartbeat.audit_cut_registry")).mappings()}


def test_add_change_remove(engine, folder: Path) -> None:
    write(folder, "alpha", order=1)
    write(folder, "beta", order=2, owner="'risk@example.com'")
    report = registry.sync(engine, folder)
    assert sorted(report.added) == ["alpha", "beta"]
    found = rows(engine)
    assert found["beta"]["owner"] == "risk@example.com" and found["alpha"]["windows"] == ["30d", "90d"]
    assert found["alpha"]["metrics"] == ["collateral_covered_by_company"] and found["alpha"]["prose_after"] == "After."

    write(folder, "alpha", order=1, title="Alpha renamed")
    report = registry.sync(engine, folder)
    assert report.updated == ["alpha"] and report.unchanged == 1
    assert rows(engine)["alpha"]["title"] == "Alpha renamed"

    (folder / "beta.py").unlink()
    report = registry.sync(engine, folder)
    assert report.retired == ["beta"]
    assert rows(engine)["beta"]["retired_at"] is not None
    assert [c["id"] for c in read.registry(engine)] == ["alpha"]

    write(folder, "beta", order=2)
    assert registry.sync(engine, folder).updated == ["beta"]
    assert rows(engine)["beta"]["retired_at"] is None


BROKEN = {
    "import_error": ("import nonexistent_module_xyz\n", "import failed (ModuleNotFoundError"),
    "syntax_error": ("META = {\n", "import failed (SyntaxError"),
    "no_compute": ("META = {'page': 'clients'}\n", "no compute: define `def compute(conn, *, window: str) -> dict`"),
    "no_meta": ("def compute(conn, *, window):\n    return {}\n", "no META dict"),
    "bad_page": (GOOD.format(page="nowhere", title="x", order=5, owner="None"), "META['page'] must be one of"),
    "unknown_metric": (
        GOOD.format(page="clients", title="x", order=5, owner="None").replace(
            "collateral_covered_by_company", "no_such_metric"),
        "META['metrics'] names unknown metric(s) no_such_metric",
    ),
    "bad_window": (
        GOOD.format(page="clients", title="x", order=5, owner="None").replace('"30d", "90d"', '"month"'),
        "META['windows'] must be a non-empty list",
    ),
    "bad_owner": (GOOD.format(page="clients", title="x", order=5, owner="'nobody'"), "META['owner'] must be an email"),
    "bad_kind": (GOOD.format(page="clients", title="x", order=5, owner="None").replace('"kind": "table"',
                                                                                    '"kind": "pie"'),
                 "META['kind'] must be one of"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_module_is_one_error_naming_it_and_the_registry_stays(engine, folder: Path, case: str) -> None:
    write(folder, "alpha", order=1)
    registry.sync(engine, folder)
    before = rows(engine)
    write(folder, "alpha", order=1, title="Changed while another is broken")
    body, message = BROKEN[case]
    write(folder, case, body)
    with pytest.raises(files.CutFilesInvalid) as caught:
        registry.sync(engine, folder)
    assert f"cuts/{case}.py: " in str(caught.value) and message in str(caught.value), str(caught.value)
    assert len(caught.value.problems) == 1
    assert rows(engine) == before


def test_two_cuts_in_one_place_are_a_duplicate(engine, folder: Path) -> None:
    write(folder, "alpha", order=3)
    write(folder, "beta", order=3)
    with pytest.raises(files.CutFilesInvalid, match=r"cuts/beta.py: META\['order'\] 3 on page clients is taken by "
                                                     r"cuts/alpha.py"):
        registry.sync(engine, folder)
    assert rows(engine) == {}


def test_verification_and_owner_edits_are_recorded(engine, folder: Path) -> None:
    write(folder, "alpha", order=1)
    registry.sync(engine, folder)
    result = edits.set_verification(engine, "alpha", actor="operator", verification_state="verified",
                                    owner="ops@example.com")
    assert result.changed == {"owner": (None, "ops@example.com"), "verification_state": ("unverified", "verified")}
    row = rows(engine)["alpha"]
    assert row["verified_by"] == "operator" and row["verified_at"] is not None
    assert {c["field"] for c in edits.changes(engine, "alpha")} >= {"owner", "verification_state", "cut"}
    with pytest.raises(FieldRejected) as bad:
        edits.set_verification(engine, "alpha", actor="operator", owner="not an email")
    assert bad.value.field == "owner"
    with pytest.raises(NotFound):
        edits.set_verification(engine, "nope", actor="operator", owner=None)
    # An operator's owner stands across syncs until the file changes its own.
    registry.sync(engine, folder)
    assert rows(engine)["alpha"]["owner"] == "ops@example.com"


@pytest.mark.parametrize("payload, problem", [
    ({"kind": "pie"}, "'kind' must be one of"),
    ({"kind": "table", "columns": ["a"]}, "'rows' is missing"),
    ({"kind": "table", "columns": ["a"], "rows": [[1, 2]]}, "rows of 1 cells"),
    ({"kind": "timeseries", "x": ["d1", "d2"], "series": [{"name": "n", "values": [1]}]}, "needs 2 numbers"),
    ({"kind": "bars", "x": [], "series": [], "colour": 1}, "'colour' is not a field"),
    ({"kind": "funnel", "stages": [{"label": "a"}]}, "'stages' must be"),
    ({"kind": "heatmap", "x": ["a"], "y": ["b"], "z": [[1, 2]]}, "'z' must be 1 rows"),
    ({"kind": "histogram", "bins": [{"label": "a", "count": float("nan")}]}, "'bins' must be"),
])
def test_payloads_are_checked_against_their_kind(payload: dict, problem: str) -> None:
    problems = kinds.validate(payload)
    assert any(problem in p for p in problems), problems


def test_the_real_cuts_folder_loads() -> None:
    definitions = files.load_directory(ROOT / "cuts", known_metrics={p.stem for p in (ROOT / "metrics").glob("*.sql")})
    assert len(definitions) >= 17
    assert {d.page for d in definitions} == set(files.PAGES)
