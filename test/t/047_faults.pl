# Faults: a backend killed (SIGKILL) in the middle of load_model, of an encode over a table
# and of predict_expression over a cohort; an immediate and a clean postmaster restart; a
# model file changed on disk after it was loaded; shared memory too small for a model.
#
# Each kill lands at a known point, never after a sleep: the load is held by the debug pause
# (varformer.debug_load_pause_at + the advisory lock it waits for), the cohort queries by a
# row that waits on an advisory lock another session holds (as in 050_progress.pl), after
# the rows before it were encoded or predicted. After every crash PostgreSQL reinitialises
# shared memory: the store must come back usable (models reload from the catalog on first
# use) and give the same answers as before, and a killed load must leave no catalog row
# and no segment.
use strict;
use warnings;
use File::Copy;
use FindBin;
use Digest::SHA;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $fixtures = "$root/test/fixtures/predictdb";
my $dir = PostgreSQL::Test::Utils::tempdir();
# an NT-vocabulary ESM encoder (one layer, ~12 MB) that encode_sequence runs
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', "$dir/enc", 4) == 0
  or die "could not generate the encoder";

# A safetensors file whose size is unique to this run, so that its segment can be told from
# other clusters' in /dev/shm: one F32 tensor of 1.0.
my $floats = 5 * 1024 * 1024 + 16 * (1 + $$ % 4000);    # 20 MB and a bit
my $big = "$dir/big.safetensors";
{
	my $header = sprintf('{"w": {"dtype": "F32", "shape": [%d], "data_offsets": [0, %d]}}', $floats, 4 * $floats);
	open(my $fh, '>:raw', $big) or die "could not write $big: $!";
	print $fh pack('Q<', length $header), $header, pack('f<', 1.0) x $floats;
	close $fh;
}
copy("$dir/enc/model.safetensors", "$dir/mutable.safetensors") or die;

my $node = PostgreSQL::Test::Cluster->new('faults');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\nrestart_after_crash = on\n"
	  . "dynamic_shared_memory_type = posix\nmax_parallel_workers_per_gather = 0\n");
$node->start;

# 40 sequences of 120-300 bp (deterministic), a 50-sample cohort, and a function that blocks
# at one row while advisory lock 47 is held elsewhere.
$node->safe_psql('postgres', qq{
CREATE EXTENSION varformer;
SELECT load_model('enc', '$dir/enc'), load_model('enet', '$fixtures/rules_v8.db'),
       load_model('mutable', '$dir/mutable.safetensors');
CREATE TABLE seqs AS
SELECT i, string_agg(substr('ACGT', 1 + ((i * 7 + j * j * 13) % 4), 1), '' ORDER BY j) AS seq
FROM generate_series(1, 40) i, generate_series(1, 120 + (i * 37) % 180) j GROUP BY i;
CREATE TABLE cohort AS
SELECT i AS sample,
       format('22:1-5000 1000:rs1000:C:T:%s:DS=%s 1100:rs1100:C:T:%s',
              (ARRAY['0|1','1|1','0|0','1|0'])[1 + i % 4], (i % 5) / 2.0,
              (ARRAY['1|1','0|1','0|0'])[1 + i % 3])::genotype AS gt
FROM generate_series(1, 50) i;
CREATE FUNCTION hold_at(s int, at int) RETURNS int LANGUAGE plpgsql PARALLEL RESTRICTED AS \$\$
BEGIN
    IF s = at THEN PERFORM pg_advisory_lock_shared(47); PERFORM pg_advisory_unlock_shared(47); END IF;
    RETURN s;
END \$\$;
});

my $encode_q = q{SELECT md5(string_agg(encode_sequence(seq, 'enc')::text, ';' ORDER BY i)) FROM seqs};
my $predict_q = q{SELECT md5(string_agg(predict_expression(gt, 'ENSG00000000001.5', 'enet')::text, ';' ORDER BY sample)) FROM cohort};
my $encodings = $node->safe_psql('postgres', $encode_q);
my $predictions = $node->safe_psql('postgres', $predict_q);
like($encodings, qr/^[0-9a-f]{32}$/, 'encodings of 40 sequences');
isnt($node->safe_psql('postgres', q{SELECT count(DISTINCT predict_expression(gt, 'ENSG00000000001.5', 'enet')) FROM cohort}),
	'1', 'the cohort has different predictions');

sub segments_of
{
	my ($bytes) = @_;
	opendir(my $d, '/dev/shm') or die "no /dev/shm: $!";
	my $n = grep { /^PostgreSQL\./ && (-s "/dev/shm/$_" // -1) == $bytes } readdir $d;
	closedir $d;
	return $n;
}

# Kills the backend $pid, waits for the crash restart; returns the log offset before it.
sub kill_backend
{
	my ($pid) = @_;
	my $log_offset = -s $node->logfile;
	kill 'KILL', $pid or die "could not kill $pid";
	$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
	$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
	return $log_offset;
}

# After a crash or a restart: nothing in shared memory, then every model reloads on first
# use and answers exactly as before.
sub same_answers
{
	my ($what, $log_offset) = @_;
	is($node->safe_psql('postgres', q{SELECT string_agg(name || '=' || loaded, ',' ORDER BY name) FROM models}),
		'enc=false,enet=false,mutable=false', "$what: shared memory was reset, the catalog kept every model");
	is($node->safe_psql('postgres', $encode_q), $encodings, "$what: the encodings are the same");
	is($node->safe_psql('postgres', $predict_q), $predictions, "$what: the predictions are the same");
	ok($node->log_contains(qr/reloading model "enc"/, $log_offset)
		  && $node->log_contains(qr/reloading model "enet"/, $log_offset),
		"$what: both models were reloaded from the catalog");
}

# Holds $query at row $at of its table: returns the session and its backend pid once the row
# waits for advisory lock 47, which $holder has.
sub held_query
{
	my ($holder, $query) = @_;
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	$s->query_until(qr/started/, "\\echo started\n$query;\n");
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $pid")
	  or die 'the query did not reach its row';
	return ($s, $pid);
}

# 1. SIGKILL during an encode over a table: rows 1-19 encoded, row 20 waiting.
my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(47)');
my ($victim, $pid) = held_query($holder,
	q{SELECT count(e) FROM (SELECT encode_sequence(seq, 'enc') AS e FROM seqs WHERE hold_at(i, 20) > 0) s});
is($node->safe_psql('postgres', "SELECT function || ' ' || calls FROM varformer_progress WHERE pid = $pid"),
	'encode_sequence 19', 'the encode is under way when the backend is killed');
my $offset = kill_backend($pid);
eval { $victim->quit };
eval { $holder->quit };
same_answers('SIGKILL during encode', $offset);

# 2. SIGKILL during predict_expression over the cohort: 29 samples predicted, the 30th waiting.
$holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(47)');
($victim, $pid) = held_query($holder,
	q{SELECT sum(g) FROM (SELECT predict_expression(gt, 'ENSG00000000001.5', 'enet') AS g, hold_at(sample, 30) FROM cohort) s});
is($node->safe_psql('postgres', "SELECT function || ' ' || calls FROM varformer_progress WHERE pid = $pid"),
	'predict_expression 30', 'the cohort prediction is under way when the backend is killed');
$offset = kill_backend($pid);
eval { $victim->quit };
eval { $holder->quit };
same_answers('SIGKILL during predict over a cohort', $offset);

# 3. SIGKILL during load_model, held by the debug pause past the file's first megabyte.
my $bytes;
{
	my $pause = $node->background_psql('postgres');
	$pause->query_safe('SELECT pg_advisory_lock(1986424929, 0)');
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$pid = $s->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	my $log_from = -s $node->logfile;
	$s->query_until(qr/started/, "SET varformer.debug_load_pause_at = 1048576;\n\\echo started\nSELECT load_model('big', '$big');\n");
	$node->wait_for_log(qr/load paused at byte \d+/, $log_from);
	is($node->safe_psql('postgres', "SELECT count(*) FROM varformer_internal.model_store_status() WHERE name = 'big'"), '0',
		'the paused load is not in the store yet');
	$offset = kill_backend($pid);
	eval { $s->quit };
	eval { $pause->quit };
}
is($node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM model_catalog WHERE name = 'big') || ',' || "
		  . "(SELECT count(*) FROM varformer_internal.model_store_status() WHERE name = 'big')"),
	'0,0', 'SIGKILL during load_model: no catalog row, nothing in the store');
same_answers('SIGKILL during load_model', $offset);
is($node->safe_psql('postgres', "SELECT load_model('big', '$big')"), 'loaded', 'the killed load then works');
is($node->safe_psql('postgres', "SELECT model_checksum('big')"), $floats, 'with every weight');
$bytes = $node->safe_psql('postgres', "SELECT bytes FROM models WHERE name = 'big'");
is(segments_of($bytes), 1, 'in one segment (the killed load left none behind)');
$node->safe_psql('postgres', "SELECT unload_model('big')");

# 4. Postmaster restarts: immediate (no shutdown checkpoint, as after a power loss) and clean.
$offset = -s $node->logfile;
$node->stop('immediate');
$node->start;
same_answers('immediate postmaster restart', $offset);
$offset = -s $node->logfile;
$node->restart;
same_answers('clean postmaster restart', $offset);

# 5. A model file changed on disk after the load: served from shared memory until that is
# lost, then refused on reload with both digests and the file named.
my $sha_before = Digest::SHA->new(256)->addfile("$dir/mutable.safetensors", 'b')->hexdigest;
is($node->safe_psql('postgres', "SELECT sha256 FROM models WHERE name = 'mutable'"), $sha_before, 'recorded sha256');
my $sum = $node->safe_psql('postgres', "SELECT model_checksum('mutable')");
{
	open(my $fh, '+<:raw', "$dir/mutable.safetensors") or die;
	sysseek($fh, -4, 2);
	syswrite($fh, pack('f<', 1.5));
	close $fh;
}
my $sha_after = Digest::SHA->new(256)->addfile("$dir/mutable.safetensors", 'b')->hexdigest;
is($node->safe_psql('postgres', "SELECT model_checksum('mutable')"), $sum, 'the loaded copy keeps serving');
$node->restart;
my ($rc, $out, $err) = $node->psql('postgres', "SELECT model_checksum('mutable')");
isnt($rc, 0, 'the changed file is refused on reload');
like($err, qr/model "mutable" changed on disk since it was loaded/, 'the error says what happened');
like($err, qr/\Q"$dir\/mutable.safetensors" now has sha256 $sha_after; the catalog recorded $sha_before\E/,
	'naming the file and both digests');
is($node->safe_psql('postgres', $encode_q), $encodings, 'other models still reload');

# 6. Shared memory too small for a model. The posix DSM implementation reserves a segment's
# pages with posix_fallocate in /dev/shm at creation time, so a short /dev/shm (64 MB in a
# default Docker container) fails there, with ENOSPC; that cannot be arranged here without
# root, so the same call is made to fail the same way by a file size limit on the
# postmaster, which its later backends inherit (PostgreSQL ignores SIGXFSZ): tmpfs checks it
# in fallocate. The limit, 17 MB, is above the WAL segment size (16 MB), so no WAL write can
# hit it; the model is 20 MB. The load must fail with an error naming the model's file, its size and
# /dev/shm, and leave nothing behind; without the limit the same load works.
SKIP:
{
	open(my $pf, '<', $node->data_dir . '/postmaster.pid') or die;
	my $postmaster = <$pf>;
	close $pf;
	chomp $postmaster;
	skip 'prlimit is not installed', 6
	  unless system("prlimit --pid $postmaster --fsize=17825792:unlimited >/dev/null 2>&1") == 0;
	my ($rc2, $out2, $err2) = $node->psql('postgres', "SELECT load_model('big', '$big')");
	system("prlimit --pid $postmaster --fsize=unlimited:unlimited") == 0 or die 'could not lift the limit';
	isnt($rc2, 0, 'a model larger than the shared memory available is refused');
	like($err2, qr/could not create \d+ bytes of shared memory for "\Q$big\E"/, 'naming the file and the size');
	like($err2, qr/DETAIL:  could not resize shared memory segment/, "with PostgreSQL's reason");
	like($err2, qr{HINT:  .*lives in /dev/shm, which has \d+ of \d+ bytes free}, 'and a hint about /dev/shm');
	is($node->safe_psql('postgres',
			"SELECT (SELECT count(*) FROM model_catalog WHERE name = 'big') || ',' || "
			  . "(SELECT count(*) FROM varformer_internal.model_store_status() WHERE name = 'big') || ',' || "
			  . "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"),
		'0,0,1', 'nothing left behind, the server still up');
	is($node->safe_psql('postgres', "SELECT load_model('big', '$big')"), 'loaded', 'with room, the same load works');
}

ok(!$node->log_contains(qr/TRAP|PANIC|leaked/), 'no assertion failure, PANIC or leak warning in the log');
$node->stop;
done_testing();
