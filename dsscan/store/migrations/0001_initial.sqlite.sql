-- dsscan history store, schema version 1 (SQLite): runs, their findings and not-assessed items.
-- runs.seq is the insertion order ("latest" = highest) and what child rows refer to (an
-- integer per finding row instead of the 29-character run id).
CREATE TABLE runs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    started_at   TEXT    NOT NULL,  -- ISO 8601, UTC, seconds
    stored_at    TEXT    NOT NULL,
    tool_version TEXT    NOT NULL,
    inputs       TEXT    NOT NULL,  -- JSON list of the files / sources evaluated (masked)
    asset_count  INTEGER NOT NULL,
    complete     INTEGER NOT NULL,  -- 1: nothing was left not assessed
    duration_s   REAL    NOT NULL,
    findings     INTEGER NOT NULL,
    not_assessed INTEGER NOT NULL
);

CREATE TABLE findings (
    run_seq     INTEGER NOT NULL REFERENCES runs (seq),
    fingerprint TEXT    NOT NULL,
    policy_id   TEXT    NOT NULL,
    asset_id    TEXT    NOT NULL,
    asset_name  TEXT,
    level       TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    status      TEXT    NOT NULL,  -- open | waived
    baseline    TEXT,              -- new | existing | NULL (no baseline in use)
    message     TEXT    NOT NULL
);
CREATE INDEX findings_run ON findings (run_seq);

CREATE TABLE not_assessed (
    run_seq   INTEGER NOT NULL REFERENCES runs (seq),
    policy_id TEXT,
    asset_id  TEXT,
    scope     TEXT,
    reason    TEXT    NOT NULL
);
CREATE INDEX not_assessed_run ON not_assessed (run_seq);
