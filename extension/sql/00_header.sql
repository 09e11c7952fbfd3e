-- varformer install script, assembled by the Makefile from extension/sql/NN_*.sql
-- (one fragment per module, in file-name order).

\echo Use "CREATE EXTENSION varformer" to load this file. \quit
