-- Schema version 2: a label per run, the waived total, and precomputed counts so that
-- `dsscan history` never reads the findings table. Runs stored under version 1 get their
-- counts computed here from their findings: nothing is lost in the upgrade.
ALTER TABLE runs ADD COLUMN label TEXT;
ALTER TABLE runs ADD COLUMN waived INTEGER NOT NULL DEFAULT 0;

CREATE TABLE run_counts (
    run_seq   BIGINT  NOT NULL REFERENCES runs (seq),
    policy_id TEXT    NOT NULL,
    level     TEXT    NOT NULL,
    severity  TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    baseline  TEXT    NOT NULL DEFAULT '',
    n         INTEGER NOT NULL,
    PRIMARY KEY (run_seq, policy_id, level, severity, status, baseline)
);

INSERT INTO run_counts (run_seq, policy_id, level, severity, status, baseline, n)
SELECT run_seq, policy_id, level, severity, status, COALESCE(baseline, ''), COUNT(*)
FROM findings
GROUP BY run_seq, policy_id, level, severity, status, COALESCE(baseline, '');

UPDATE runs SET waived = (SELECT COUNT(*) FROM findings f
                          WHERE f.run_seq = runs.seq AND f.status = 'waived');

DROP INDEX findings_run;
CREATE INDEX findings_run_fingerprint ON findings (run_seq, fingerprint);
CREATE INDEX runs_started_at ON runs (started_at);
