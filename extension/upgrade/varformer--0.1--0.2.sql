-- varformer 0.1 -> 0.2, run by ALTER EXTENSION varformer UPDATE (README "Upgrading").
--
-- Every change to the extension's SQL objects made after 0.1 (extension/sql/*.sql, which
-- builds the 0.2 install script) is repeated here, in the order it was made, so that a
-- database created at 0.1 ends up with exactly the objects of a fresh 0.2 install:
--   new object            the same CREATE statement (and its COMMENT ON, GRANT/REVOKE)
--   changed function      CREATE OR REPLACE FUNCTION with the new definition, or ALTER
--                         FUNCTION for volatility/STRICT/PARALLEL/COST only; a changed
--                         return type or argument list: DROP FUNCTION then CREATE
--   removed object        DROP ...
--   new table column      ALTER TABLE ADD COLUMN, and the column last in extension/sql too
--   changed comment       COMMENT ON again
-- test/t/051_extension_update.pl installs 0.1, updates it and compares the catalog with a
-- fresh install: a change missing here fails it, naming the object.
-- Until 0.2 is released this file may grow; after that it is frozen like varformer--0.1.sql.

\echo Use "ALTER EXTENSION varformer UPDATE TO '0.2'" to load this file. \quit

-- (no object has changed since 0.1 yet: 0.2 is 0.1 with its version bumped)
