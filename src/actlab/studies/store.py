"""The results store: one SQLite file per study folder, every trial and its metrics.

Tables:

- `meta`: the study's name and its spec (JSON), so a folder knows what it holds;
- `trials`: one row per trial (identity = hash of its config): status `running`,
  `finished` or `failed`, whether it diverged (non-finite weights or a non-finite study
  metric), the flag of a NaN loss with finite weights (`nan_loss`, NULL when none), its
  config, result and error;
- `metrics`: the trial's curves, one row per (trial, metric name, step).

Every trial's result and metrics are written in one transaction, in WAL mode, so a
process killed at any moment leaves the store consistent: a trial is finished with all
its metrics, or it is not finished at all.
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
SCHEMA_VERSION = "1"
STATUSES = ("running", "finished", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    trial_id TEXT PRIMARY KEY,
    activation TEXT NOT NULL,
    seed INTEGER NOT NULL,
    condition TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
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


@dataclass(frozen=True)
class StoredTrial:
    """A trial as the store holds it."""

    trial_id: str
    activation: str
    seed: int
    condition: tuple[tuple[str, Any], ...]
    config: dict[str, Any]
    status: str
    diverged: bool
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    duration_s: float | None
    worker: str | None
    nan_loss: str | None = None


class ResultsStore:
    """A study's SQLite results store (created on first use)."""

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
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
            if "nan_loss" not in columns:  # a store written before the column existed
                self._db.execute("ALTER TABLE trials ADD COLUMN nan_loss TEXT")
        except sqlite3.DatabaseError as err:
            raise StudyStoreError(f"{self.path} is not a usable results store ({err}); "
                                  f"move it away or choose another output folder") from None
        except OSError as err:
            raise StudyStoreError(f"cannot create the results store {self.path}: "
                                  f"{err.strerror or err}") from None
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StudyStoreError(f"{self.path} has results-store schema {version}, this actlab "
                                  f"reads schema {SCHEMA_VERSION}; use another output folder")

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

    # -- writing trials ------------------------------------------------------------------
    def mark_running(self, trial_id: str, *, activation: str, seed: int,
                     condition: Sequence[tuple[str, Any]], config: Mapping[str, Any]) -> None:
        """Record that a trial started (a row that stays `running` was cut short)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO trials (trial_id, activation, seed, condition, config, status, "
                "attempts, started_at) VALUES (?, ?, ?, ?, ?, 'running', 1, ?) "
                "ON CONFLICT (trial_id) DO UPDATE SET status = 'running', diverged = 0, "
                "nan_loss = NULL, result = NULL, error = NULL, attempts = attempts + 1, "
                "started_at = excluded.started_at, finished_at = NULL, duration_s = NULL",
                (trial_id, activation, seed, _dumps([list(c) for c in condition]),
                 _dumps(config), time.time()))
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
                "error = NULL, finished_at = ?, duration_s = ?, worker = ? WHERE trial_id = ?",
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
        """Stored trials (all, or those with the given ids that exist), in insertion order."""
        rows = self._db.execute(
            "SELECT trial_id, activation, seed, condition, config, status, diverged, result, "
            "error, attempts, duration_s, worker, nan_loss FROM trials ORDER BY rowid"
        ).fetchall()
        wanted = None if trial_ids is None else set(trial_ids)
        return [StoredTrial(r[0], r[1], r[2], tuple(tuple(c) for c in json.loads(r[3])),
                            json.loads(r[4]), r[5], bool(r[6]),
                            None if r[7] is None else json.loads(r[7]), r[8], r[9], r[10], r[11],
                            r[12])
                for r in rows if wanted is None or r[0] in wanted]

    def metric_points(self, trial_id: str) -> list[MetricPoint]:
        """Every stored metric point of a trial, by name then step."""
        rows = self._db.execute("SELECT name, step, epoch, value FROM metrics WHERE trial_id = ? "
                                "ORDER BY name, step", (trial_id,))
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
        return problems


def _finite_or_none(value: float | None) -> float | None:
    # SQLite stores NaN as NULL anyway; infinities are kept as they are.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _dumps(data: Any) -> str:
    # Python's JSON keeps NaN and infinities (a diverged loss) and reads them back as floats.
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
