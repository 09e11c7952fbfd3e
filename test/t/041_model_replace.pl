# Replace and unload while other connections are mid-query: the running query finishes on
# the model it started with, new queries see the change. And a name denotes fixed content:
# different bytes under a loaded name are refused unless the options say replace.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $dir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", $dir) == 0
  or die "could not generate the models";
my $sum_a = slurp_file("$dir/esm.sum") + 0;
my $sum_b = slurp_file("$dir/big.sum") + 0;

my $node = PostgreSQL::Test::Cluster->new('replace');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
is($node->safe_psql('postgres', "SELECT load_model('m', '$dir/esm_f32')"), 'loaded', 'loaded A');

# (d) a name denotes fixed content
my ($rc, $out, $err) = $node->psql('postgres', "SELECT load_model('m', '$dir/big.safetensors')");
like($err, qr/model "m" is already loaded with different content/, 'different bytes refused');
is($node->safe_psql('postgres', "SELECT load_model('m', '$dir/esm_f32')"), 'unchanged', 'same bytes accepted');
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_a, 'still A');

# one checksum per row, 40 rows; row 20 waits for advisory lock 41, which $other holds while
# the model is replaced or unloaded: the query is provably mid-way (19 rows done on the model
# it started with) however slow the machine, and never depends on a sleep
my $rows = 40;
my $slow = "SELECT sum(model_checksum('m')) FROM generate_series(1, $rows) g "
  . "WHERE CASE WHEN g = $rows / 2 THEN pg_advisory_xact_lock_shared(41)::text ELSE '' END = ''";

my $runner = $node->background_psql('postgres', on_error_stop => 0);
my $runner_pid = $runner->query_safe('SELECT pg_backend_pid()');
chomp $runner_pid;
my $other = $node->background_psql('postgres');
is($other->query_safe("SELECT model_checksum('m')") + 0, $sum_a, 'another backend sees A');

sub start_slow
{
	$other->query_safe('SELECT pg_advisory_lock(41)');
	$runner->{stdout} = '';
	$runner->{stdin} .= "$slow;\n\\echo SLOWDONE\n";
	$runner->{run}->pump_nb;
	# wait until the query waits at row 20 (it has acquired the model by then)
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $runner_pid")
	  or die 'slow query did not reach its lock';
}

sub finish_slow
{
	$other->query_safe('SELECT pg_advisory_unlock(41)');
	$runner->{run}->pump until $runner->{stdout} =~ /SLOWDONE/;
	my ($v) = split /\n/, $runner->{stdout};
	$runner->{stdout} = '';
	return $v + 0;
}

sub still_running
{
	return $node->safe_psql('postgres',
		"SELECT state = 'active' FROM pg_stat_activity WHERE pid = $runner_pid");
}

# replace while the runner is mid-query
start_slow();
is($node->safe_psql('postgres', "SELECT load_model('m', '$dir/big.safetensors', '{\"replace\": true}')"),
	'replaced', 'replaced A by B');
is(still_running(), 't', 'the runner was mid-query during the replace');
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_b, 'a new query sees B');
is($other->query_safe("SELECT model_checksum('m')") + 0, $sum_b, 'a backend that had A attached now sees B');
is(finish_slow(), $rows * $sum_a, 'the running query finished on A, unchanged');
is($runner->query_safe("SELECT model_checksum('m')") + 0, $sum_b, 'its next query sees B');

# unload while the runner is mid-query
start_slow();
$node->safe_psql('postgres', "SELECT unload_model('m')");
is(still_running(), 't', 'the runner was mid-query during the unload');
($rc, $out, $err) = $node->psql('postgres', "SELECT model_checksum('m')");
like($err, qr/model "m" is not loaded/, 'a new query sees the model gone');
is(finish_slow(), $rows * $sum_b, 'the running query finished on B');
my ($o2, $failed) = $runner->query("SELECT model_checksum('m')");
like($runner->{stderr}, qr/model "m" is not loaded/, 'its next query sees the model gone');
is($node->safe_psql('postgres', "SELECT count(*) FROM models"), '0', 'catalog empty');

$runner->quit;
$other->quit;

# Models are per database; a dropped database's models leave shared memory at the next load.
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', 'CREATE EXTENSION varformer');
$node->safe_psql('other', "SELECT load_model('m', '$dir/esm_f32')");
$node->safe_psql('postgres', "SELECT load_model('m', '$dir/big.safetensors')");
is($node->safe_psql('other', "SELECT model_checksum('m')") + 0, $sum_a, 'same name, other database, other model');
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'DROP DATABASE other');
$node->safe_psql('postgres', "SELECT load_model('m2', '$dir/esm_f32')");
ok($node->log_contains(qr/unloading model "m" of dropped database/, $log_offset),
	"the dropped database's model was unloaded");
$node->stop;
done_testing();
