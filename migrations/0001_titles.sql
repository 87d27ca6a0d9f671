-- The transformed catalog, one row per title per data version. Versions let a load write the new
-- catalog beside the live one and switch by flipping the KV pointer; old versions are deleted after.
CREATE TABLE titles (
  version TEXT NOT NULL,
  id TEXT NOT NULL,
  platform TEXT NOT NULL,
  show_id TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  director TEXT,
  "cast" TEXT,
  country TEXT,
  date_added TEXT,
  release_year INTEGER NOT NULL,
  rating TEXT NOT NULL,
  duration_int INTEGER,
  duration_type TEXT,
  listed_in TEXT,
  description TEXT,
  score REAL,
  n_ratings INTEGER NOT NULL,
  PRIMARY KEY (version, id)
);
CREATE INDEX titles_platform_year ON titles (version, platform, release_year);
CREATE INDEX titles_title ON titles (version, title);
