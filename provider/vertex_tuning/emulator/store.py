"""The emulator's memory: one SQLite file, so a restart loses nothing.

Rows hold only what was decided when something happened (the request, when it arrived, when a
cancel arrived, the dataset's verdict); a job's state is derived from them on every read, so
the lifecycle clock carries on across restarts.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..names import LocationName, TuningJobName
from .outcome import TrainingOutcome

# PRAGMA user_version of the current layout. 0: before base_model and source_job were columns
# (both then lived in `controls`); such files are migrated when opened.
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    location TEXT NOT NULL,
    created REAL NOT NULL,
    duration REAL NOT NULL,
    request TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    endpoint_id TEXT NOT NULL UNIQUE,
    base_model TEXT NOT NULL DEFAULT '',
    source_job TEXT,
    controls TEXT NOT NULL DEFAULT '{}',
    cancelled REAL,
    outcome TEXT
);
-- What a tuned endpoint answers from; apart from `jobs` so a status read never parses it.
CREATE TABLE IF NOT EXISTS exchanges (
    job_id TEXT PRIMARY KEY REFERENCES jobs (id),
    data TEXT NOT NULL
);
-- An exported checkpoint's own endpoint (the last checkpoint's is the job's endpoint_id).
CREATE TABLE IF NOT EXISTS checkpoint_endpoints (
    endpoint_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id),
    checkpoint_id TEXT NOT NULL
);
-- What models.patch / contexts.patch changed, by resource ("models/{id}@{version}", "contexts/{id}").
CREATE TABLE IF NOT EXISTS patches (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_parent ON jobs (project, location, seq);
CREATE INDEX IF NOT EXISTS jobs_by_model ON jobs (model_id, model_version);
"""
# Version 0 to 1: the base model and the continuous-tuning source move out of the fault controls.
_MIGRATE_TO_1 = (
    "ALTER TABLE jobs ADD COLUMN base_model TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE jobs ADD COLUMN source_job TEXT",
    "UPDATE jobs SET base_model = COALESCE(json_extract(controls, '$.base_model'), ''),"
    " source_job = json_extract(controls, '$.source_job'),"
    " controls = json_remove(controls, '$.base_model', '$.source_job')",
)


@dataclass(frozen=True)
class NewJob:
    """What a create decides about a job."""

    id: str
    project: str
    location: str
    created: float
    duration: float
    request: dict[str, Any]
    model_id: str
    endpoint_id: str
    base_model: str
    # Fault controls: {"stuck": ...}, {"fail": ...}, {"ignoreCancel": ...}.
    controls: dict[str, Any]
    # The job whose tuned model continuous tuning starts from.
    source_job: str | None = None


@dataclass(frozen=True)
class JobRow(NewJob):
    """A stored job: what its create decided, plus what the store and later calls added."""

    seq: int = 0
    model_version: int = 0
    cancelled: float | None = None
    outcome: TrainingOutcome | None = None

    @property
    def parent(self) -> str:
        return str(LocationName(self.project, self.location))

    @property
    def name(self) -> str:
        return str(TuningJobName(self.project, self.location, self.id))


class Store:
    """Thread-safe access to the state file (WAL, one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        """Bring a file of an earlier layout to this one, in one transaction: nothing is lost."""
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        old = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone() is not None
        if old and version < 1:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATE_TO_1:
                    self._db.execute(statement)
                self._db.execute("PRAGMA user_version = 1")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def insert_job(self, job: NewJob) -> JobRow:
        """Store a new job; its model version is the next one for its model id."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (latest,) = self._db.execute(
                    "SELECT COALESCE(MAX(model_version), 0) FROM jobs WHERE model_id = ?", (job.model_id,)
                ).fetchone()
                self._db.execute(
                    "INSERT INTO jobs (id, project, location, created, duration, request, model_id,"
                    " model_version, endpoint_id, base_model, source_job, controls)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job.id,
                        job.project,
                        job.location,
                        job.created,
                        job.duration,
                        json.dumps(job.request),
                        job.model_id,
                        latest + 1,
                        job.endpoint_id,
                        job.base_model,
                        job.source_job,
                        json.dumps(job.controls),
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        row = self.job(job.id)
        assert row is not None
        return row

    def job(self, job_id: str) -> JobRow | None:
        return self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def job_by_endpoint(self, endpoint_id: str) -> JobRow | None:
        return self._one("SELECT * FROM jobs WHERE endpoint_id = ?", (endpoint_id,))

    def jobs_of_model(self, model_id: str) -> list[JobRow]:
        return self._many("SELECT * FROM jobs WHERE model_id = ? ORDER BY model_version", (model_id,))

    def jobs(self, project: str, location: str) -> list[JobRow]:
        """A location's jobs, newest first."""
        return self._many(
            "SELECT * FROM jobs WHERE project = ? AND location = ? ORDER BY seq DESC", (project, location)
        )

    def project_jobs(self, project: str) -> list[JobRow]:
        """A project's jobs in every location, oldest first (the tuning quota is project-wide)."""
        return self._many("SELECT * FROM jobs WHERE project = ? ORDER BY seq", (project,))

    def all_jobs(self) -> list[JobRow]:
        return self._many("SELECT * FROM jobs ORDER BY seq", ())

    def mark_cancelled(self, job_id: str, when: float) -> None:
        """Record the first cancel; later ones change nothing, as on the service."""
        self._write("UPDATE jobs SET cancelled = ? WHERE id = ? AND cancelled IS NULL", (when, job_id))

    def settle_outcome(
        self,
        job_id: str,
        outcome: TrainingOutcome,
        exchanges: list[list[str]],
        checkpoint_endpoints: dict[str, str] | None = None,
    ) -> TrainingOutcome:
        """Store the dataset verdict once; whoever settles first wins, and everyone gets that one."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                settled = self._db.execute(
                    "UPDATE jobs SET outcome = ? WHERE id = ? AND outcome IS NULL",
                    (_outcome_json(outcome), job_id),
                ).rowcount
                if settled:
                    self._db.execute(
                        "INSERT OR REPLACE INTO exchanges (job_id, data) VALUES (?, ?)",
                        (job_id, json.dumps(exchanges)),
                    )
                    self._db.executemany(
                        "INSERT OR IGNORE INTO checkpoint_endpoints (endpoint_id, job_id, checkpoint_id)"
                        " VALUES (?, ?, ?)",
                        [(endpoint, job_id, cp) for cp, endpoint in (checkpoint_endpoints or {}).items()],
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        row = self.job(job_id)
        assert row is not None and row.outcome is not None
        return row.outcome

    def exchanges(self, job_id: str) -> list[list[str]]:
        """(system, prompt, answer) triples the job was trained on; empty until its outcome is settled."""
        with self._lock:
            found = self._db.execute("SELECT data FROM exchanges WHERE job_id = ?", (job_id,)).fetchone()
        return list(json.loads(found[0])) if found else []

    def checkpoint_endpoint(self, endpoint_id: str) -> tuple[str, str] | None:
        """(job id, checkpoint id) behind a checkpoint's own endpoint."""
        with self._lock:
            found = self._db.execute(
                "SELECT job_id, checkpoint_id FROM checkpoint_endpoints WHERE endpoint_id = ?", (endpoint_id,)
            ).fetchone()
        return (found[0], found[1]) if found else None

    def checkpoint_endpoints(self, job_id: str) -> dict[str, str]:
        """{checkpoint id: endpoint id} of a job's exported checkpoints with their own endpoint."""
        with self._lock:
            rows = self._db.execute(
                "SELECT checkpoint_id, endpoint_id FROM checkpoint_endpoints WHERE job_id = ?", (job_id,)
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def patch(self, name: str) -> dict[str, Any]:
        with self._lock:
            found = self._db.execute("SELECT data FROM patches WHERE name = ?", (name,)).fetchone()
        return dict(json.loads(found[0])) if found else {}

    def set_patches(self, patches: dict[str, dict[str, Any]]) -> None:
        """Replace what several resources' patches hold, at once (an alias moving between versions)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO patches (name, data) VALUES (?, ?)",
                    [(name, json.dumps(data)) for name, data in patches.items()],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def set_controls(self, job_id: str, controls: dict[str, Any]) -> None:
        self._write("UPDATE jobs SET controls = ? WHERE id = ?", (json.dumps(controls), job_id))

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def _one(self, sql: str, args: tuple[Any, ...]) -> JobRow | None:
        rows = self._many(sql, args)
        return rows[0] if rows else None

    def _many(self, sql: str, args: tuple[Any, ...]) -> list[JobRow]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_row(row) for row in rows]


def _row(row: sqlite3.Row) -> JobRow:
    """The columns of `jobs` are named as `JobRow`'s fields; only the JSON ones need decoding."""
    values = dict(zip(row.keys(), row, strict=True))
    values["request"] = json.loads(values["request"])
    values["controls"] = json.loads(values["controls"])
    values["outcome"] = _outcome(values["outcome"]) if values["outcome"] else None
    return JobRow(**values)


# The outcome's JSON form, in this one place (a failed job's has only "failure").
def _outcome_json(outcome: TrainingOutcome) -> str:
    if outcome.failure is not None:
        return json.dumps({"failure": outcome.failure})
    return json.dumps({**dataclasses.asdict(outcome), "stats": dict(outcome.stats)})


def _outcome(text: str) -> TrainingOutcome:
    return TrainingOutcome(**json.loads(text))
