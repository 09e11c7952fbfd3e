# varformer_progress shows another session's cohort query while it runs: the function, the
# model and the calls done so far. The query is held at a known row by an advisory lock (no
# sleeps): row 30's predict_expression has been counted when the lock blocks it, so the
# other session must see exactly 30 calls, then the query finishes with every row.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $fixtures = "$FindBin::Bin/../fixtures/predictdb";
my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\n");
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION varformer;
SELECT load_model('enet', '$fixtures/rules_v8.db');
CREATE TABLE cohort AS
SELECT i AS sample, '22:1-5000 1000:rs1000:C:T:0|1:DS=0.5 1100:rs1100:C:T:1|1'::genotype AS gt
FROM generate_series(1, 50) i;
-- blocks at row 30 until the lock below is released
CREATE FUNCTION hold_at(s int) RETURNS int LANGUAGE plpgsql PARALLEL RESTRICTED AS \$\$
BEGIN
    IF s = 30 THEN PERFORM pg_advisory_lock_shared(50); PERFORM pg_advisory_unlock_shared(50); END IF;
    RETURN s;
END \$\$;
});

my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(50)');

my $runner = $node->background_psql('postgres');
$runner->query_until(qr/started/, q{
SET max_parallel_workers_per_gather = 0;
\echo started
SELECT count(*), sum(g) FROM (SELECT predict_expression(gt, 'ENSG00000000001.5', 'enet') AS g, hold_at(sample) FROM cohort) s;
});

# the runner is blocked inside row 30 once it waits on the advisory lock
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted}),
	'cohort query reached row 30');
is($node->safe_psql('postgres', q{
SELECT function || ' ' || model || ' ' || calls || ' ' || (leader_pid IS NULL)
FROM varformer_progress WHERE pid <> pg_backend_pid()}),
	'predict_expression enet 30 true', 'another session sees the function, model and calls done');

$holder->query_safe('SELECT pg_advisory_unlock(50)');
my $out = $runner->query_safe('SELECT 1');
$runner->quit;
$holder->quit;
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM varformer_progress WHERE pid <> pg_backend_pid()}),
	'a session that has exited leaves no row');
done_testing();
