-- Schema version 6: the journal of sweeps run by shards (`dsscan scan aws --cluster`): each
-- shard's partial inventory is kept as it finishes, so that a sweep interrupted midway is
-- resumed (`--resume RUN`) without reading finished shards again. A shard whose result holds
-- an identifier in clear is kept as finished with no result (NULL): it is read again on
-- resume, and the store never holds what it found. The rows of a run go when the run is
-- stored (or with `dsscan history prune`).
CREATE TABLE sweeps (
    run_id      TEXT NOT NULL PRIMARY KEY,  -- the id the run is stored under when it ends
    options     TEXT NOT NULL,              -- a hash of the sweep's options (resume checks it)
    started_at  TEXT NOT NULL
);

CREATE TABLE sweep_shards (
    run_id  TEXT NOT NULL REFERENCES sweeps (run_id),
    shard   TEXT NOT NULL,  -- kind:account[:region] (a sampled asset: a hash of its id)
    result  BYTEA,          -- compressed JSON (scanners/aws/shard_codec.py); NULL: read again
    done_at TEXT NOT NULL,
    PRIMARY KEY (run_id, shard)
);
