-- Per-backend limits of the engine: varformer.max_scratch_memory bounds the activation
-- buffers a forward pass allocates (they grow as the square of the tokens), checked before
-- allocating; it and varformer.blas_threads are superuser settings.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS varformer;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET varformer.file_root = :'abs_srcdir';

SELECT load_model('lim81_dnabert2', 'build/generated/encoder/models/dnabert2') AS status;
SHOW varformer.max_scratch_memory;
SET varformer.max_scratch_memory = '64kB';
-- a BERT layer's buffers: 6 x hidden (48), 3 x intermediate (64: GLU input and output) and
-- the scores, per token; 20 tokens: 20 x (6 x 48 + 3 x 64 + 20) x 4 = 40000 bytes
SELECT encode_tokens(array_fill(5, ARRAY[20]), 'lim81_dnabert2') IS NOT NULL AS twenty_tokens_fit;
-- 200 tokens: more than 64 kB, in the message
SELECT 200 * (6 * 48 + 3 * 64 + 200) * 4 AS bytes_for_200_tokens;
SELECT encode_tokens(array_fill(5, ARRAY[200]), 'lim81_dnabert2') IS NOT NULL AS two_hundred_tokens;
RESET varformer.max_scratch_memory;
SELECT encode_tokens(array_fill(5, ARRAY[200]), 'lim81_dnabert2') IS NOT NULL AS after_reset;

-- An ordinary role can neither raise the scratch limit nor multiply BLAS threads.
SET client_min_messages = warning;
DROP ROLE IF EXISTS lim81_user;
RESET client_min_messages;
CREATE ROLE lim81_user;
SET ROLE lim81_user;
SET varformer.max_scratch_memory = '64GB';
SET varformer.blas_threads = 256;
SHOW varformer.blas_threads;
RESET ROLE;
DROP ROLE lim81_user;
SELECT unload_model('lim81_dnabert2');
