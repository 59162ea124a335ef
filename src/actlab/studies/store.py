"""The results store: one SQLite file per study folder, every trial and its metrics.

Tables:

- `meta`: the study's name, its spec (JSON) and what its models are, so a folder knows
  what it holds;
- `trials`: one row per trial of the study's plan, written when the study starts: its
  identity (hash of its definition), activation label, seed, grid condition, definition
  and validated config, its place in the plan; then its status (`planned`, `running`,
  `finished` or `failed`), whether it diverged (non-finite weights or a non-finite study
  metric), the flag of a NaN loss with finite weights (`nan_loss`, NULL when none), its
  result and error;
- `metrics`: the trial's curves, one row per (trial, metric name, step).

The runner, the workers and the report read trials from here, as they were defined when
the study started: nothing is expanded or hashed again. Every trial's result and metrics
are written in one transaction, in WAL mode, so a process killed at any moment leaves the
store consistent: a trial is finished with all its metrics, or it is not finished at all.

A store of schema 1 (before trials were planned) is upgraded when it is opened: its rows
are kept, outside any plan, until the study's plan is stored again (`plan_trials`).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actlab.studies.errors import StudyStoreError

STORE_FILE = "results.sqlite"
SCHEMA_VERSION = "2"
STATUSES = ("planned", "running", "finished", "failed")

_TRIALS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    trial_id TEXT PRIMARY KEY,
    position INTEGER,
    activation TEXT NOT NULL,
    seed INTEGER NOT NULL,
    condition TEXT NOT NULL,
    definition TEXT,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'running', 'finished', 'failed')),
    diverged INTEGER NOT NULL DEFAULT 0,
    nan_loss TEXT,
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at REAL,
    finished_at REAL,
    duration_s REAL,
    worker TEXT
);
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""" + _TRIALS_TABLE.format(name="trials") + """
CREATE TABLE IF NOT EXISTS metrics (
    trial_id TEXT NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL,
    value REAL,
    PRIMARY KEY (trial_id, name, step)
);
"""


@dataclass(frozen=True)
class MetricPoint:
    """One point of a trial's curve: metric name, optimiser step, epoch and value."""

    name: str
    step: int
    epoch: float | None
    value: float | None


Condition = tuple[tuple[str, Any], ...]


def condition_label(condition: Condition) -> str:
    """`model.depth=8, training.lr=0.001` → `depth=8, lr=0.001`; `model=mnist1d_cnn` stays."""
    return ", ".join(f"{key.partition('.')[2] or key}={value}" for key, value in condition)


@dataclass(frozen=True)
class PlannedTrial:
    """A trial of a study's plan as the store keeps it: identity, label, seed, grid point,
    what the study set (`definition`, hashed into `trial_id`) and the validated config."""

    trial_id: str
    activation: str
    seed: int
    condition: Condition
    definition: Mapping[str, Any]
    config: Mapping[str, Any]

    @property
    def condition_label(self) -> str:
        """The grid point in words (`depth=8, lr=0.001`), empty without a grid."""
        return condition_label(self.condition)


@dataclass(frozen=True)
class StoredTrial:
    """A trial as the store holds it: its definition and what became of it."""

    trial_id: str
    activation: str
    seed: int
    condition: Condition
    config: dict[str, Any]
    status: str
    diverged: bool
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    duration_s: float | None
    worker: str | None
    definition: dict[str, Any] | None = None
    position: int | None = None
    nan_loss: str | None = None

    @property
    def condition_label(self) -> str:
        """The grid point in words (`depth=8, lr=0.001`), empty without a grid."""
        return condition_label(self.condition)

    @property
    def in_plan(self) -> bool:
        """Whether the trial belongs to the plan the study last ran with."""
        return self.position is not None

    def planned(self) -> PlannedTrial:
        """The trial's definition, without what became of it."""
        return PlannedTrial(self.trial_id, self.activation, self.seed, self.condition,
                            self.definition or {}, self.config)


_TRIAL_COLUMNS = ("trial_id, activation, seed, condition, config, status, diverged, result, "
                  "error, attempts, duration_s, worker, definition, position, nan_loss")


def _stored_trial(row: Sequence[Any]) -> StoredTrial:
    return StoredTrial(row[0], row[1], row[2], tuple(tuple(c) for c in json.loads(row[3])),
                       json.loads(row[4]), row[5], bool(row[6]),
                       None if row[7] is None else json.loads(row[7]), row[8], row[9],
                       row[10], row[11], None if row[12] is None else json.loads(row[12]),
                       row[13], row[14])


class ResultsStore:
    """A study's SQLite results store (created on first use, upgraded from schema 1)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.path = self.path / STORE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit (`_transaction`).
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version == "1":
                self._upgrade_from_schema_1()
            elif version != SCHEMA_VERSION:
                raise StudyStoreError(f"{self.path} has results-store schema {version}, this "
                                      f"actlab reads schema {SCHEMA_VERSION}; use another "
                                      f"output folder")
        except sqlite3.DatabaseError as err:
            raise StudyStoreError(f"{self.path} is not a usable results store ({err}); "
                                  f"move it away or choose another output folder") from None
        except OSError as err:
            raise StudyStoreError(f"cannot create the results store {self.path}: "
                                  f"{err.strerror or err}") from None

    def _upgrade_from_schema_1(self) -> None:
        """Rebuild the trials table with the plan's columns (SQLite cannot change a CHECK
        in place: its documented recipe is a new table, a copy, a drop and a rename)."""
        kept = ["trial_id", "activation", "seed", "condition", "config", "status", "diverged",
                "result", "error", "attempts", "started_at", "finished_at", "duration_s",
                "worker"]
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
        kept += ["nan_loss"] if "nan_loss" in columns else []  # a later schema-1 column
        self._db.execute("PRAGMA foreign_keys=OFF")  # the drop must not cascade to metrics
        try:
            with self._transaction() as db:
                db.execute(_TRIALS_TABLE.format(name="trials_schema2"))
                db.execute(f"INSERT INTO trials_schema2 ({', '.join(kept)}) SELECT "
                           f"{', '.join(kept)} FROM trials ORDER BY rowid")
                db.execute("DROP TABLE trials")
                db.execute("ALTER TABLE trials_schema2 RENAME TO trials")
                problems = db.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise StudyStoreError(f"{self.path}: metrics of unknown trials "
                                          f"({len(problems)} rows); the store is damaged")
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                           (SCHEMA_VERSION,))
        finally:
            self._db.execute("PRAGMA foreign_keys=ON")

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- study metadata ------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # -- the plan ------------------------------------------------------------------------
    def plan_trials(self, trials: Iterable[PlannedTrial],
                    meta: Mapping[str, str] | None = None) -> None:
        """Make `trials`, in this order, the study's plan (with `meta`, in one transaction).

        A new trial is stored as `planned`. A stored one keeps its outcome; one that has
        not finished takes the new config (what it will run with). Stored trials left out
        of the plan stay in the store, outside it.
        """
        with self._transaction() as db:
            db.execute("UPDATE trials SET position = NULL")
            for position, trial in enumerate(trials):
                db.execute(
                    "INSERT INTO trials (trial_id, position, activation, seed, condition, "
                    "definition, config, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned') "
                    "ON CONFLICT (trial_id) DO UPDATE SET position = excluded.position, "
                    "activation = excluded.activation, condition = excluded.condition, "
                    "definition = excluded.definition, config = CASE WHEN status = "
                    "'finished' THEN config ELSE excluded.config END",
                    (trial.trial_id, position, trial.activation, trial.seed,
                     _dumps([list(c) for c in trial.condition]), _dumps(trial.definition),
                     _dumps(trial.config)))
            for key, value in (meta or {}).items():
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (key, value))

    def has_plan(self) -> bool:
        """Whether a plan was stored (a store upgraded from schema 1 has none yet)."""
        return self._db.execute("SELECT 1 FROM trials WHERE position IS NOT NULL LIMIT 1"
                                ).fetchone() is not None

    def planned_trials(self) -> list[StoredTrial]:
        """The trials of the study's plan, in plan order, with what became of each."""
        rows = self._db.execute(f"SELECT {_TRIAL_COLUMNS} FROM trials WHERE position IS NOT "
                                f"NULL ORDER BY position").fetchall()
        return [_stored_trial(r) for r in rows]

    # -- writing outcomes ----------------------------------------------------------------
    def mark_running(self, trial_id: str) -> None:
        """Record that a planned trial started (a row that stays `running` was cut short)."""
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE trials SET status = 'running', diverged = 0, nan_loss = NULL, "
                "result = NULL, error = NULL, attempts = attempts + 1, started_at = ?, "
                "finished_at = NULL, duration_s = NULL WHERE trial_id = ?",
                (time.time(), trial_id))
            if updated.rowcount != 1:
                raise StudyStoreError(f"trial {trial_id} is not in the plan of {self.path}")
            db.execute("DELETE FROM metrics WHERE trial_id = ?", (trial_id,))

    def record_finished(self, trial_id: str, result: Mapping[str, Any], *, diverged: bool,
                        metrics: Iterable[MetricPoint], duration_s: float | None = None,
                        worker: str | None = None, nan_loss: str | None = None) -> None:
        """Store a finished trial's result and its curves in one transaction.

        `nan_loss` flags a NaN loss with finite weights (not divergence).
        """
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE trials SET status = 'finished', diverged = ?, nan_loss = ?, result = ?, "
                "error = NULL, finished_at = ?, duration_s = ?, worker = ? WHERE trial_id = ? "
                "AND status != 'planned'",
                (int(diverged), nan_loss or None, _dumps(result), time.time(), duration_s,
                 worker, trial_id))
            if updated.rowcount != 1:
                raise StudyStoreError(f"trial {trial_id} finished but was never started in "
                                      f"{self.path}")
            db.execute("DELETE FROM metrics WHERE trial_id = ?", (trial_id,))
            db.executemany(
                "INSERT OR REPLACE INTO metrics (trial_id, name, step, epoch, value) "
                "VALUES (?, ?, ?, ?, ?)",
                [(trial_id, p.name, p.step, p.epoch, _finite_or_none(p.value))
                 for p in metrics])

    def record_failed(self, trial_id: str, error: str, *, duration_s: float | None = None,
                      worker: str | None = None) -> None:
        """Store that a trial raised, with its error message."""
        with self._transaction() as db:
            db.execute(
                "UPDATE trials SET status = 'failed', nan_loss = NULL, result = NULL, error = ?, "
                "finished_at = ?, duration_s = ?, worker = ? WHERE trial_id = ?",
                (error, time.time(), duration_s, worker, trial_id))
            db.execute("DELETE FROM metrics WHERE trial_id = ?", (trial_id,))

    # -- reading -------------------------------------------------------------------------
    def statuses(self) -> dict[str, str]:
        """trial_id -> status of every stored trial."""
        return dict(self._db.execute("SELECT trial_id, status FROM trials"))

    def trials(self, trial_ids: Iterable[str] | None = None) -> list[StoredTrial]:
        """Stored trials (all, or those with the given ids that exist): the plan's in plan
        order, then the others in the order they were stored."""
        rows = self._db.execute(
            f"SELECT {_TRIAL_COLUMNS} FROM trials "
            f"ORDER BY position IS NULL, position, rowid").fetchall()
        wanted = None if trial_ids is None else set(trial_ids)
        return [_stored_trial(r) for r in rows if wanted is None or r[0] in wanted]

    def metric_points(self, trial_id: str) -> list[MetricPoint]:
        """Every stored metric point of a trial, in the order they were recorded."""
        rows = self._db.execute("SELECT name, step, epoch, value FROM metrics WHERE trial_id = ? "
                                "ORDER BY rowid", (trial_id,))
        return [MetricPoint(*row) for row in rows]

    def metric_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT name FROM metrics ORDER BY name")]

    def integrity_problems(self) -> list[str]:
        """What is inconsistent in the store (empty when all is well)."""
        problems = [row[0] for row in self._db.execute("PRAGMA integrity_check")
                    if row[0] != "ok"]
        problems += [f"trial {r[0]} is finished without a result" for r in self._db.execute(
            "SELECT trial_id FROM trials WHERE status = 'finished' AND result IS NULL")]
        problems += [f"trial {r[0]} is failed without an error" for r in self._db.execute(
            "SELECT trial_id FROM trials WHERE status = 'failed' AND error IS NULL")]
        problems += [f"trial {r[0]} has metrics but is not finished" for r in self._db.execute(
            "SELECT DISTINCT m.trial_id FROM metrics m JOIN trials t USING (trial_id) "
            "WHERE t.status != 'finished'")]
        problems += [f"trial {r[0]} is planned without a definition" for r in self._db.execute(
            "SELECT trial_id FROM trials WHERE position IS NOT NULL AND definition IS NULL")]
        return problems


def _finite_or_none(value: float | None) -> float | None:
    # SQLite stores NaN as NULL anyway; infinities are kept as they are.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _dumps(data: Any) -> str:
    # Python's JSON keeps NaN and infinities (a diverged loss) and reads them back as floats.
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
