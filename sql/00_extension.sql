-- The extension installs into the schema it is given and needs the library preloaded.
CREATE EXTENSION varformer;
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'varformer';
SELECT current_setting('shared_preload_libraries') AS preload;
