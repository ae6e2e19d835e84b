-- Schema version 3: the account and region of each finding's asset, as the scan saw them, so
-- that `dsscan diff` can tell a finding that was fixed from one whose account or region the
-- later run could not read (an unreadable scope is never a fix). Runs stored under earlier
-- versions keep NULL here: their assets' places are unknown, and diff treats them so.
ALTER TABLE findings ADD COLUMN account TEXT;
ALTER TABLE findings ADD COLUMN region TEXT;
