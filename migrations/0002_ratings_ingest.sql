-- Ratings posted to POST /ratings, and the state of the cron fold that applies them to the live data.
--
-- Exactly-once without locks: rating ids only grow (AUTOINCREMENT never reuses one, and a batch is
-- inserted in one transaction, so once id N is visible no id below N can appear later). A data
-- version built by a fold is therefore a pure function of (base version, watermark) = (the version it
-- started from, the id of the last rating it applied), and its id is a hash of that pair: a run that
-- dies midway and a run that repeats it build the same version, byte for byte.

-- One accepted POST /ratings: its Idempotency-Key and a hash of the exact body it came with, so a
-- replay answers the original 202 and a different body under the same key is refused.
CREATE TABLE ingest_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  body_sha256 TEXT NOT NULL,
  received_at TEXT NOT NULL, -- ISO time
  catalog_version TEXT NOT NULL, -- the live version whose catalog validated the movie ids
  count INTEGER NOT NULL,
  first_id INTEGER, -- the batch's ratings are pending_ratings first_id..last_id
  last_id INTEGER
);

-- Every posted rating, kept after it is folded: a full reload from the rating files knows nothing of
-- them, so the fold applies them again on top of it (see README, "Refreshing the data").
CREATE TABLE pending_ratings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id INTEGER NOT NULL REFERENCES ingest_batches (id),
  user_id INTEGER NOT NULL CHECK (user_id BETWEEN 1 AND 2147483647),
  movie_id TEXT NOT NULL,
  halves INTEGER NOT NULL CHECK (halves BETWEEN 1 AND 10), -- rating x 2: exact, like the shards store it
  timestamp INTEGER NOT NULL -- unix seconds
);
CREATE INDEX pending_ratings_batch ON pending_ratings (batch_id);

-- One fold per result version. `status` is 'started' until its pointer flip is recorded; a
-- 'started' row of the live base is resumed with its own watermark, so the rerun rebuilds the same
-- version even if the batch bounds changed in between.
CREATE TABLE folds (
  version TEXT PRIMARY KEY,
  base_version TEXT NOT NULL,
  from_id INTEGER NOT NULL, -- the base's watermark: ratings with id > from_id ...
  watermark INTEGER NOT NULL, -- ... and id <= watermark are applied
  ratings INTEGER NOT NULL,
  users INTEGER NOT NULL,
  titles INTEGER NOT NULL,
  shards INTEGER NOT NULL, -- user shards rewritten
  status TEXT NOT NULL CHECK (status IN ('started', 'live')),
  started_at TEXT NOT NULL,
  published_at TEXT -- when its pointer flip was recorded (status 'live')
);
CREATE INDEX folds_base ON folds (base_version, status);
CREATE INDEX folds_published ON folds (published_at);
