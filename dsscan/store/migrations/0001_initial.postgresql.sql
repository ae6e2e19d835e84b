-- dsscan history store, schema version 1 (PostgreSQL): runs, their findings and not-assessed
-- items. runs.seq is the insertion order ("latest" = highest) and what child rows refer to.
-- Times are ISO 8601 text in UTC, as in the SQLite schema, so both stores answer alike.
CREATE TABLE runs (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT             NOT NULL UNIQUE,
    started_at   TEXT             NOT NULL,
    stored_at    TEXT             NOT NULL,
    tool_version TEXT             NOT NULL,
    inputs       TEXT             NOT NULL,  -- JSON list (masked)
    asset_count  INTEGER          NOT NULL,
    complete     BOOLEAN          NOT NULL,
    duration_s   DOUBLE PRECISION NOT NULL,
    findings     INTEGER          NOT NULL,
    not_assessed INTEGER          NOT NULL
);

CREATE TABLE findings (
    run_seq     BIGINT NOT NULL REFERENCES runs (seq),
    fingerprint TEXT   NOT NULL,
    policy_id   TEXT   NOT NULL,
    asset_id    TEXT   NOT NULL,
    asset_name  TEXT,
    level       TEXT   NOT NULL,
    severity    TEXT   NOT NULL,
    status      TEXT   NOT NULL,  -- open | waived
    baseline    TEXT,             -- new | existing | NULL
    message     TEXT   NOT NULL
);
CREATE INDEX findings_run ON findings (run_seq);

CREATE TABLE not_assessed (
    run_seq   BIGINT NOT NULL REFERENCES runs (seq),
    policy_id TEXT,
    asset_id  TEXT,
    scope     TEXT,
    reason    TEXT   NOT NULL
);
CREATE INDEX not_assessed_run ON not_assessed (run_seq);
