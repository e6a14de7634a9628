"""Read ``metrics/<metric_id>.sql``: a YAML header in a leading comment block, then the value SQL.

The file is the config source of truth. Every problem is reported with the
file, the line and what to write instead; a directory is read whole before
anything is written, so one broken file changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine import contract
from engine.core.errors import ConfigError
from engine.metrics.baseline import Spec
from engine.sources import SOURCES
from engine.store.models import PERIODS, UNITS

METRIC_ID = re.compile(contract.METRIC_ID_PATTERN)
# Letters, digits and the usual punctuation only: an owner is shown on the wall and quoted in chat
# messages, so no markup (<, >), control or text-direction characters can hide in one.
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
HEADER_FENCE = "-- ---"
MIN_BENCHMARK_WINDOW, MAX_BENCHMARK_WINDOW = 7, 365
MIN_WEEKS, MAX_WEEKS = 3, 52


def registered_schemas() -> list[str]:
    return [f"{spec.name}.{schema}" for spec in SOURCES for schema in spec.schemas]


class Benchmark(BaseModel):
    """How a metric's typical band is learned from its own history (docs/metrics.md, "Choosing a benchmark").

    ``rolling_stat``: μ ± σ of the last ``window_days``. ``seasonal``: the same weekday (for 24h metrics the
    same hour-of-week window) of the last ``weeks`` weeks. ``robust``: median ± MAD × 1.4826 of the last
    ``window_days``, or of the same weekday of the last ``weeks`` weeks with ``seasonal: true``.
    ``floor``: the smallest spread in the metric's unit, so a flat history does not make every wobble red.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["rolling_stat", "seasonal", "robust"]
    window_days: int | None = Field(None, ge=MIN_BENCHMARK_WINDOW, le=MAX_BENCHMARK_WINDOW)
    weeks: int | None = Field(None, ge=MIN_WEEKS, le=MAX_WEEKS)
    seasonal: bool = False
    floor: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _fits_the_kind(self) -> "Benchmark":
        weekly = self.spec("").weekly
        if self.seasonal and self.kind != "robust":
            raise ValueError("seasonal: true is a robust option; for μ/σ per weekday write kind: seasonal")
        if weekly and self.window_days is not None:
            raise ValueError(f"a {self.kind}{' seasonal' if self.seasonal else ''} benchmark counts weeks: "
                             f"write weeks: N instead of window_days")
        if not weekly and self.weeks is not None:
            raise ValueError(f"a {self.kind} benchmark counts days: write window_days: N instead of weeks "
                             "(or seasonal: true for robust)")
        if self.floor is not None and not math.isfinite(self.floor):
            raise ValueError("floor must be a finite number")
        return self

    def spec(self, unit: str) -> Spec:
        """The band it learns (engine.metrics.baseline.Spec.from_benchmark, the one mapping)."""
        return Spec.from_benchmark(self.model_dump(), unit)

    @property
    def days(self) -> int:
        """The history window the band reads, in days."""
        return self.spec("").days

    def config(self) -> dict[str, Any]:
        """What the registry keeps of it (``benchmark_config``): everything but the kind and window."""
        return {"weekly": self.spec("").weekly, "robust": self.kind == "robust", "floor": self.floor}


class Header(BaseModel):
    """The config header of a metric file; field names are the keys an analyst writes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=80)
    how_to_read: str = Field(min_length=10)
    methodology: str = ""
    sources: list[str] = Field(min_length=1)
    period: Literal[PERIODS]  # type: ignore[valid-type]
    unit: Literal[UNITS]  # type: ignore[valid-type]
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    direction: Literal["higher_is_better", "lower_is_better"]
    norm: float | None = None
    alert: float | None = None
    target: float | None = None
    target_due_date: date | None = None
    benchmark: Benchmark | None = None
    owner: str | None = None
    history_sql: str | None = None
    tags: list[str] = []
    related_cuts: list[str] = []
    # ``proposed``: written by `heartbeat discover`; never registered (see engine/discover).
    state: Literal["proposed"] | None = None

    @field_validator("benchmark", mode="before")
    @classmethod
    def _none_means_no_band(cls, value: Any) -> Any:
        return None if value in (None, "none") else value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        known = registered_schemas()
        unknown = [item for item in value if item not in known]
        if unknown:
            raise ValueError(f"unknown source schema {', '.join(unknown)}; registered: {', '.join(known)}")
        return value

    @field_validator("owner")
    @classmethod
    def _owner_is_email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"owner must be an email address, got {value!r}")
        return value

    @field_validator("norm", "alert", "target")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Header":
        if self.unit == "money" and not self.currency:
            raise ValueError("unit money needs a currency (e.g. currency: EUR)")
        if not contract.lines_in_order(self.norm, self.alert, self.direction):
            side = "above" if self.direction == "higher_is_better" else "below"
            raise ValueError(
                f"norm {self.norm} must lie on the good side of alert {self.alert}: with direction "
                f"{self.direction} the amber line sits {side} the red line"
            )
        if self.target_due_date is not None and self.target is None:
            raise ValueError("target_due_date needs a target")
        return self


@dataclass(frozen=True)
class MetricDefinition:
    """One parsed, valid metric file."""

    id: str
    path: Path
    header: Header
    value_sql: str
    sql_line: int  # where the value SQL starts, for messages

    @property
    def source_pairs(self) -> list[tuple[str, str]]:
        return [tuple(item.split(".", 1)) for item in self.header.sources]  # type: ignore[misc]

    @property
    def benchmark_kind(self) -> str:
        return "none" if self.header.benchmark is None else self.header.benchmark.kind

    @property
    def benchmark_window_days(self) -> int | None:
        return None if self.header.benchmark is None else self.header.benchmark.days

    @property
    def benchmark_config(self) -> dict[str, Any]:
        return {} if self.header.benchmark is None else self.header.benchmark.config()

    @property
    def file_thresholds(self) -> dict[str, Any]:
        """The operator-tunable values as the file states them."""
        h = self.header
        return {
            "norm_value": h.norm,
            "alert_value": h.alert,
            "target_value": h.target,
            "target_due_date": h.target_due_date.isoformat() if h.target_due_date else None,
            "owner": h.owner,
        }

    @property
    def definition_hash(self) -> str:
        """What the number means: a change here makes a verified metric unverified."""
        h = self.header
        return _hash([_normal_sql(self.value_sql), h.period, h.direction, h.unit, h.currency])

    @property
    def series_hash(self) -> str:
        """What the history means: the definition plus ``history_sql``. History rows carry it, and a band
        learns only from the rows of the current one (docs/metrics.md, "History belongs to a definition")."""
        return _hash([self.definition_hash, _normal_sql(self.header.history_sql or "")])

    @property
    def config_hash(self) -> str:
        """Everything the file says; equal hashes mean the sync has nothing to write."""
        # ``state`` is left out: it never reaches the registry (a proposal is not synced).
        return _hash([self.header.model_dump(mode="json", exclude={"state"}), _normal_sql(self.value_sql)])

    @property
    def proposed(self) -> bool:
        return self.header.state == "proposed"


def _hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _normal_sql(sql: str) -> str:
    return " ".join(sql.split())


@dataclass
class MetricFileError:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class MetricFilesInvalid(ConfigError):
    """One or more metric files are invalid; nothing was written."""

    def __init__(self, errors: list[MetricFileError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"{len(errors)} metric file problem(s); the registry was left as it was:\n{lines}")


@dataclass
class _Split:
    header_text: str
    header_first_line: int  # file line of the first header line
    sql: str
    sql_line: int
    errors: list[MetricFileError] = field(default_factory=list)


def _split(path: Path, text: str) -> _Split:
    lines = text.splitlines()
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or lines[index].strip() != HEADER_FENCE:
        return _Split("", 1, "", 1, [MetricFileError(path, index + 1, f"the file must start with a header block opened by '{HEADER_FENCE}'")])
    start = index + 1
    end = start
    while end < len(lines) and lines[end].strip() != HEADER_FENCE:
        if lines[end].strip() and not lines[end].startswith("--"):
            return _Split("", 1, "", 1, [MetricFileError(path, end + 1, f"header block not closed: expected '{HEADER_FENCE}' before SQL")])
        end += 1
    if end >= len(lines):
        return _Split("", 1, "", 1, [MetricFileError(path, start, f"header block not closed by '{HEADER_FENCE}'")])
    header = "\n".join(re.sub(r"^-- ?", "", line, count=1) for line in lines[start:end])
    return _Split(header, start + 1, "\n".join(lines[end + 1 :]).strip(), end + 2)


def _line_of(node: yaml.Node | None, key_path: tuple[Any, ...]) -> int | None:
    """The 0-based header line of the value at ``key_path`` in a composed YAML mapping."""
    current = node
    for key in key_path:
        if not isinstance(current, yaml.MappingNode):
            break
        match = next((v for k, v in current.value if k.value == key), None)
        if match is None:
            return next((k.start_mark.line for k, v in current.value if k.value == key), None)
        current = match
    return current.start_mark.line if current is not None else None


def _sql_without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql).strip()


def parse_file(path: Path) -> tuple[MetricDefinition | None, list[MetricFileError]]:
    """Parse one metric file: the definition, or every problem found in it."""
    metric_id = path.stem
    text = path.read_text(encoding="utf-8")
    split = _split(path, text)
    if split.errors:
        return None, split.errors
    errors: list[MetricFileError] = []
    if not METRIC_ID.match(metric_id):
        errors.append(MetricFileError(path, 1, f"file name {path.name!r} is not a metric id: use lower_snake_case, e.g. payment_approval_rate.sql"))
    try:
        node = yaml.compose(split.header_text)
        data = yaml.safe_load(split.header_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = split.header_first_line + (mark.line if mark else 0)
        return None, [MetricFileError(path, line, f"header is not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [MetricFileError(path, split.header_first_line, "header must be a mapping of key: value lines")]
    header: Header | None = None
    try:
        header = Header.model_validate(data)
    except ValidationError as exc:
        valid_keys = ", ".join(Header.model_fields)
        for problem in exc.errors():
            location = tuple(problem["loc"])
            reason = problem["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
            if not location:
                # A whole-header rule: point at the key its message starts with.
                location = tuple(k for k in (reason.split(" ", 1)[0],) if k in data)
            line = _line_of(node, location[:1] if problem["type"] == "extra_forbidden" else location)
            file_line = split.header_first_line + (line or 0)
            key = ".".join(str(part) for part in location) or "header"
            if problem["type"] == "extra_forbidden":
                message = f"unknown key {key!r}; valid keys: {valid_keys}"
            elif problem["type"] == "missing":
                message = f"missing required key {key!r}"
            else:
                if problem["type"] == "literal_error":
                    reason += f", got {problem.get('input')!r}"
                message = f"{key}: {reason}" if location and problem["loc"] else reason
            errors.append(MetricFileError(path, file_line, message))
    if not _sql_without_comments(split.sql):
        errors.append(MetricFileError(path, split.sql_line, "missing value SQL after the header: write one SELECT that returns a single number"))
    if errors or header is None:
        return None, errors
    return MetricDefinition(metric_id, path, header, split.sql, split.sql_line), []


def load_directory(folder: Path) -> list[MetricDefinition]:
    """Every metric file of ``folder``, or MetricFilesInvalid listing every problem in every file."""
    if not folder.is_dir():
        # Never read a missing folder as "no metrics": that would retire the whole registry.
        raise MetricFilesInvalid([MetricFileError(folder, 0, "the metrics folder does not exist "
                                                  "(check HEARTBEAT_METRICS_DIR)")])
    definitions: list[MetricDefinition] = []
    errors: list[MetricFileError] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.sql")):
        key = path.stem.lower()
        if key in seen:
            errors.append(MetricFileError(path, 1, f"duplicate metric id {key!r}: also defined by {seen[key].name}"))
            continue
        seen[key] = path
        definition, problems = parse_file(path)
        errors.extend(problems)
        # A proposal stays apart even when its file sits in metrics/: only a promotion registers it.
        if definition is not None and not definition.proposed:
            definitions.append(definition)
    if errors:
        raise MetricFilesInvalid(errors)
    return definitions
