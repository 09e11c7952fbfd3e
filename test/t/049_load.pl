# Load: pgbench clients predicting (PredictDB elastic net over a cohort) and encoding
# (an NT-style encoder) while one more client loads, replaces and unloads other models
# every few seconds. Every answer must equal the single-client run's (a wrong one raises
# an error in must(), which aborts the client and fails pgbench), no client may see any
# other error, and no backend's private memory may grow in the second half of the run
# (RssAnon from /proc/self/status, sampled by every transaction: the models themselves are
# shared memory and do not count).
#
# make check runs it short (VF_LOAD_CLIENTS=4, VF_LOAD_SECONDS=20); test/bench/58_load.sh
# runs the full one (8 clients, 10 minutes).
use strict;
use warnings;
use FindBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $clients = $ENV{VF_LOAD_CLIENTS} // 4;
my $seconds = $ENV{VF_LOAD_SECONDS} // 20;
my $root = "$FindBin::Bin/../..";
my $fixtures = "$root/test/fixtures/predictdb";
my $dir = PostgreSQL::Test::Utils::tempdir();
for my $m ([enc => 4], [churn_a => 4], [churn_b => 8])
{
	system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', "$dir/$m->[0]", $m->[1]) == 0
	  or die "could not generate $m->[0]";
}

my $node = PostgreSQL::Test::Cluster->new('load');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\nmax_connections = 40\n"
	  . "max_parallel_workers_per_gather = 0\nvarformer.blas_threads = 1\n");
$node->start;
$node->safe_psql('postgres', qq{
CREATE EXTENSION varformer;
SELECT load_model('enc', '$dir/enc'), load_model('enet', '$fixtures/rules_v8.db');
CREATE TABLE seqs AS
SELECT i, string_agg(substr('ACGT', 1 + ((i * 7 + j * j * 13) % 4), 1), '' ORDER BY j) AS seq
FROM generate_series(1, 40) i, generate_series(1, 240) j GROUP BY i;
CREATE TABLE cohort AS
SELECT i AS sample,
       format('22:1-5000 1000:rs1000:C:T:%s:DS=%s 1100:rs1100:C:T:%s',
              (ARRAY['0|1','1|1','0|0','1|0'])[1 + i % 4], (i % 5) / 2.0,
              (ARRAY['1|1','0|1','0|0'])[1 + i % 3])::genotype AS gt
FROM generate_series(1, 200) i;
-- the single-client answers
CREATE TABLE want_enc AS SELECT i, encode_sequence(seq, 'enc') AS e FROM seqs;
CREATE TABLE want_pred AS SELECT sample, predict_expression(gt, 'ENSG00000000001.5', 'enet') AS g FROM cohort;
CREATE TABLE rss (n bigserial, pid int, kb bigint);
CREATE FUNCTION must(ok boolean, what text) RETURNS int LANGUAGE plpgsql AS
  \$\$ BEGIN IF ok IS NOT TRUE THEN RAISE EXCEPTION 'wrong answer: %', what; END IF; RETURN 1; END \$\$;
CREATE FUNCTION rss_anon_kb() RETURNS bigint LANGUAGE sql AS
  \$\$ SELECT substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\\s+(\\d+)')::bigint \$\$;
});
is($node->safe_psql('postgres', 'SELECT count(DISTINCT g) > 3 FROM want_pred'), 't', 'the cohort has different predictions');

my %scripts = (
	'predict.sql' => q{
\set s random(1, 200)
SELECT must(predict_expression(c.gt, 'ENSG00000000001.5', 'enet') IS NOT DISTINCT FROM w.g, 'prediction ' || :s)
FROM cohort c JOIN want_pred w USING (sample) WHERE sample = :s;
INSERT INTO rss (pid, kb) VALUES (pg_backend_pid(), rss_anon_kb());
},
	'encode.sql' => q{
\set i random(1, 40)
SELECT must(encode_sequence(s.seq, 'enc') = w.e, 'encoding ' || :i)
FROM seqs s JOIN want_enc w USING (i) WHERE i = :i;
INSERT INTO rss (pid, kb) VALUES (pg_backend_pid(), rss_anon_kb());
},
	'churn.sql' => qq{
SELECT load_model('churn', '$dir/churn_a', '{"replace": true}');
SELECT must(model_checksum('churn') IS NOT NULL, 'churn_a loaded');
SELECT load_model('churn', '$dir/churn_b', '{"replace": true}');
SELECT load_model('churn_pdb', '$fixtures/rules_v8.db');
SELECT must(dims(encode_sequence('ACGTACGTTTGACCA', 'churn')) = 512, 'churn_b encodes');
SELECT unload_model('churn'), unload_model('churn_pdb');
\\sleep 2 s
},
);
for my $f (keys %scripts)
{
	open(my $fh, '>', "$dir/$f") or die;
	print $fh $scripts{$f};
	close $fh;
}

my $connstr = $node->connstr('postgres');
my ($out1, $err1, $out2, $err2) = ('', '', '', '');
my $churn = IPC::Run::start(['pgbench', '-n', '-c', '1', '-T', $seconds, '-f', "$dir/churn.sql", $connstr],
	'>', \$out2, '2>', \$err2);
my $work = IPC::Run::start(['pgbench', '-n', '-c', $clients, '-j', 2, '-T', $seconds,
		'-f', "$dir/predict.sql\@1", '-f', "$dir/encode.sql\@1", $connstr],
	'>', \$out1, '2>', \$err1);
$work->finish;
my $work_rc = $?;
$churn->finish;
my $churn_rc = $?;
note "clients:\n$out1$err1\nchurn:\n$out2$err2";

is($work_rc, 0, "$clients clients for $seconds s: pgbench succeeded");
like($out1, qr/number of failed transactions: 0 \(/, 'no transaction failed (every answer equal to the single-client run)');
unlike($err1, qr/aborted|ERROR/, 'no client saw an error');
my ($done) = $out1 =~ /number of transactions actually processed: (\d+)/;
ok(($done // 0) > 10 * $clients, "transactions were processed (" . ($done // 0) . ")");
is($churn_rc, 0, 'the loading client succeeded');
like($out2, qr/number of failed transactions: 0 \(/, 'every load, replace and unload worked');
my ($loads) = $out2 =~ /number of transactions actually processed: (\d+)/;
ok(($loads // 0) >= 1, "models were churned (" . ($loads // 0) . " rounds)");

# Private memory per backend: the median RssAnon of its second quarter of transactions
# against its last quarter. Backends warm up first (the encoder's working memory, the
# tokenizer, caches), then must stay flat. Every sequence is 240 bases (40 tokens), so the
# encoder's working memory reaches its size on a backend's first encode, not whenever
# the longest sequence happens to come up.
my $growth = $node->safe_psql('postgres', q{
WITH r AS (SELECT pid, kb, ntile(4) OVER (PARTITION BY pid ORDER BY n) AS q FROM rss),
     m AS (SELECT pid, q, percentile_disc(0.5) WITHIN GROUP (ORDER BY kb) AS kb FROM r WHERE q IN (2, 4) GROUP BY pid, q)
SELECT count(DISTINCT pid) || ' ' || max(b.kb - a.kb) || ' ' || max(b.kb)
FROM m a JOIN m b USING (pid) WHERE a.q = 2 AND b.q = 4});
my ($backends, $max_growth, $max_kb) = split / /, $growth;
note "backends $backends, largest RssAnon $max_kb kB, largest growth from the 2nd to the 4th quarter $max_growth kB";
is($backends, $clients, 'every client backend sampled its memory');
SKIP:
{
	# Under make check-asan private memory grows by design: freed blocks wait in ASan's
	# quarantine (up to 256 MB) and every model segment the churn maps gets new shadow pages
	# (45 MB in 20 s). make check measures the shipped build.
	skip 'AddressSanitizer build: its quarantine and shadow memory grow RssAnon', 1
	  if ($ENV{VF_ASAN} // '') eq '1';
	cmp_ok($max_growth, '<', 1024, 'no backend grew its private memory by 1 MB or more in the second half');
}

ok(!$node->log_contains(qr/TRAP|PANIC|server process .* was terminated|leaked/),
	'no crash, assertion failure or leak warning in the log');
$node->stop;
done_testing();
