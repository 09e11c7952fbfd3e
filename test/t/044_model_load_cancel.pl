# A load_model cancelled part-way (statement_timeout and pg_cancel_backend, each at several
# file offsets, held there by the debug pause so the cancel cannot come after the load
# finished, whatever the machine's load) leaves nothing behind: no catalog row, no model in the store, no shared memory segment,
# no hashing thread; the next load of the same file works and hashes to what sha256sum says.
# The file alternates megabyte weights with tiny biases and ends in an F16 tensor, so the
# cancel can land while the hashing thread has a queue of chunks in the segment or is
# hashing the reader's own buffer.
use strict;
use warnings;
use Digest::SHA;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $path = "$dir/cancel.safetensors";

# 40 x (3 MB F32 weight of 1.0f, 16-byte F32 bias of 1.0f), a 16 MB F16 tensor of 1.0 and
# an F32 one of a size unique to this run.
my (@hdr, $off);
$off = 0;
my $w = 3 * 1024 * 1024;
my $f16 = 16 * 1024 * 1024;
my $elements = 0;
for my $i (0 .. 39)
{
	push @hdr, sprintf('"w%02d": {"dtype": "F32", "shape": [%d], "data_offsets": [%d, %d]}',
		$i, $w / 4, $off, $off + $w);
	$off += $w;
	push @hdr, sprintf('"b%02d": {"dtype": "F32", "shape": [4], "data_offsets": [%d, %d]}',
		$i, $off, $off + 16);
	$off += 16;
	$elements += $w / 4 + 4;
}
push @hdr, sprintf('"h": {"dtype": "F16", "shape": [%d], "data_offsets": [%d, %d]}',
	$f16 / 2, $off, $off + $f16);
$off += $f16;
$elements += $f16 / 2;
my $odd = 64 * (1 + $$ % 4000);    # bytes, a multiple of the image's 64-byte alignment
push @hdr, sprintf('"z": {"dtype": "F32", "shape": [%d], "data_offsets": [%d, %d]}',
	$odd / 4, $off, $off + $odd);
$elements += $odd / 4;
my $header = '{' . join(', ', @hdr) . '}';
open(my $fh, '>:raw', $path) or die "could not write $path: $!";
print $fh pack('Q<', length $header), $header;
my $one32 = pack('f<', 1.0) x ($w / 4);
for my $i (0 .. 39)
{
	print $fh $one32, pack('f<', 1.0) x 4;
}
print $fh "\x00\x3c" x ($f16 / 2), pack('f<', 1.0) x ($odd / 4);
close $fh;
my $sha = Digest::SHA->new(256)->addfile($path, 'b')->hexdigest;

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\ndynamic_shared_memory_type = posix\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');

# A first whole load: what every later one must give, and the size of its segment.
is($node->safe_psql('postgres', "SELECT load_model('c', '$path')"), 'loaded', 'a whole load');
is($node->safe_psql('postgres', "SELECT sha256 FROM models WHERE name = 'c'"), $sha,
	'with the sha256 of the whole file');
is($node->safe_psql('postgres', "SELECT model_checksum('c')"), $elements, 'and every weight in place');
my $bytes = $node->safe_psql('postgres', "SELECT bytes FROM models WHERE name = 'c'");

# Segments of this model's size (the odd tensor makes it unique to this run, so other
# clusters on the machine do not count): /dev/shm/PostgreSQL.<handle> under posix DSM.
sub segments
{
	opendir(my $d, '/dev/shm') or die "no /dev/shm: $!";
	my $n = grep { /^PostgreSQL\./ && (-s "/dev/shm/$_" // -1) == $bytes } readdir $d;
	closedir $d;
	return $n;
}
is(segments(), 1, 'the loaded model is one segment of its size');
$node->safe_psql('postgres', "SELECT unload_model('c')");
# the loading session has exited, so its mapping of the unloaded model goes with it
for (my $i = 0; $i < 100 && segments() > 0; $i++) { usleep(100_000); }
is(segments(), 0, 'the unloaded model leaves no segment');

# Checked while the cancelled session is still open: cleanup comes with the abort, not
# with the backend's exit.
sub nothing_left
{
	my ($what) = @_;
	is($node->safe_psql('postgres',
			"SELECT (SELECT count(*) FROM model_catalog WHERE name = 'c') || ',' || "
			  . "(SELECT count(*) FROM varformer_internal.model_store_status() WHERE name = 'c')"),
		'0,0', "$what: no catalog row, nothing in the store");
	is(segments(), 0, "$what: no shared memory segment left");
}

# The cancels are made to land mid-load, not by timing: varformer.debug_load_pause_at stops
# the load once it has passed a file offset, until the advisory lock (1986424929, 0) that
# $hold keeps is free. A paused load cannot finish, so a statement_timeout or a
# pg_cancel_backend provably hits it part-way.
my $hold = $node->background_psql('postgres');
$hold->query_safe('SELECT pg_advisory_lock(1986424929, 0)');
my $bg = $node->background_psql('postgres', on_error_stop => 0);
# offsets: the first weights, the middle, the last weight and bias, inside the F16 tensor
# (converted as read) twice; the timeout may also land before the pause is reached
for my $at (1, 1 << 20, 60 << 20, ($w + 16) * 40 - 8, ($w + 16) * 40 + (4 << 20), ($w + 16) * 40 + $f16 / 2)
{
	for my $ms (1, 50)
	{
		$bg->{stderr} = '';
		$bg->query("SET varformer.debug_load_pause_at = $at; SET statement_timeout = '${ms}ms'; "
			  . "SELECT load_model('c', '$path')");
		like($bg->{stderr}, qr/canceling statement due to statement timeout/,
			"paused at byte $at, timeout after $ms ms: cancelled");
		$bg->{stderr} = '';
		$bg->query_safe('RESET statement_timeout');
		nothing_left("paused at byte $at, timeout after $ms ms");
	}

	# pg_cancel_backend from another session once the load is known to be paused
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	my $log_from = -s $node->logfile;
	$bg->{stderr} = '';
	$bg->query_until(qr/started/, "\\echo started\nSELECT load_model('c', '$path');\n");
	$node->wait_for_log(qr/load paused at byte \d+/, $log_from);
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	$bg->query('SELECT 1');
	like($bg->{stderr}, qr/canceling statement due to user request/,
		"paused at byte $at, pg_cancel_backend: cancelled");
	$bg->{stderr} = '';
	nothing_left("paused at byte $at, pg_cancel_backend");
}

# Let go: a paused load then finishes, whole.
$hold->query_safe('SELECT pg_advisory_unlock(1986424929, 0)');
is($bg->query_safe("SELECT load_model('c', '$path')"), 'loaded', 'a paused load goes on when the lock is free');
is($bg->query_safe("SELECT sha256 FROM models WHERE name = 'c'"), $sha, 'and hashes the whole file');
$bg->query_safe("RESET varformer.debug_load_pause_at; SELECT unload_model('c')");
$hold->quit;
$bg->quit;

is($node->safe_psql('postgres', "SELECT load_model('c', '$path')"), 'loaded', 'the load then works');
is($node->safe_psql('postgres', "SELECT sha256 FROM models WHERE name = 'c'"), $sha, 'same sha256');
is($node->safe_psql('postgres', "SELECT model_checksum('c')"), $elements, 'same weights');
ok(!$node->log_contains(qr/leak|TRAP|PANIC/), 'no leak warnings or assertion failures in the log');

$node->stop;
done_testing();
