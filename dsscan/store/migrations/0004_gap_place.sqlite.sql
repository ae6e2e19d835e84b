-- Schema version 4: where a not-assessed scope is (account, region) and which call failed
-- (service, operation), as the scanner recorded them, so that `dsscan diff` decides which
-- findings a scope may hold from these fields, never from the wording of `scope`. NULL
-- account: the scope may hold any account; NULL region: every region of it. Rows stored
-- under earlier versions get account and region from their scope text once, in the same
-- transaction (dsscan/store/legacy_scopes.py: text parsing is not portable SQL).
ALTER TABLE not_assessed ADD COLUMN account TEXT;
ALTER TABLE not_assessed ADD COLUMN region TEXT;
ALTER TABLE not_assessed ADD COLUMN service TEXT;
ALTER TABLE not_assessed ADD COLUMN operation TEXT;
