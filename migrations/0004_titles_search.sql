-- Text search for /titles.csv: each row's title, cast and director folded by contract's foldSearchText
-- (case, accents, Unicode form), each followed by U+001F, so SQL matches exactly what the catalog index
-- matches for /titles. Writers fill it (the loader's inserts and imports; the fold copies it). Rows
-- written before this migration have '' and match no search until the next load replaces them.
ALTER TABLE titles ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
