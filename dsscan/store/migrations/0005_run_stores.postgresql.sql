-- Schema version 5: one row per store of each run (its kind, data level and where the level
-- came from, whether it carries a level-change approval record, and the principals outside
-- the institution that may read it), so that `dsscan diff` and `dsscan history` can list the
-- regulatory events between two runs (Art. 19 level lowered without approval, Art. 71 new
-- important or core store, Art. 73 new external principal or share; dsscan/events.py).
-- runs.stores_kept says a run has these rows: runs stored under earlier versions keep FALSE,
-- and their events are "not known", never "none".
ALTER TABLE runs ADD COLUMN stores_kept BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE run_stores (
    run_seq      BIGINT  NOT NULL REFERENCES runs (seq),
    asset_id     TEXT    NOT NULL,  -- masked as findings.asset_id
    kind         TEXT,
    level        TEXT    NOT NULL,
    level_source TEXT,              -- tag | catalogue | content | inheritance | declared | ...
    approval     BOOLEAN NOT NULL,  -- carries a level-change approval record
    principals   TEXT               -- JSON list of masked principals; NULL: not known
);
CREATE INDEX run_stores_run ON run_stores (run_seq);
