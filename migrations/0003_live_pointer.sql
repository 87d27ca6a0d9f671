-- The one place writers serialise pointer flips (contract/publish.ts): a loader publish, a rollback
-- and the cron fold each claim the pointer here by compare-and-set on the version they built on,
-- before they write meta/current to KV. Readers never read it: they read KV's pointer.
CREATE TABLE live_pointer (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version TEXT NOT NULL,
  published_at TEXT NOT NULL -- ISO time, the same as the pointer's in KV
);
