# An unloaded model stays unloaded: a session whose snapshot still shows the catalog row the
# unload deleted (a REPEATABLE READ transaction older than the unload; or the unload not yet
# committed) must not reload it from that row into shared memory, where it would stay for
# everyone with no catalog row. Deterministic: the two sessions' statements are ordered
# by the script, nothing waits on time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $path = "$dir/stale.safetensors";
# one F32 tensor of 256 x 2.0: model_checksum 512
my $header = '{"w": {"dtype": "F32", "shape": [256], "data_offsets": [0, 1024]}}';
open(my $fh, '>:raw', $path) or die "could not write $path: $!";
print $fh pack('Q<', length $header), $header, pack('f<', 2.0) x 256;
close $fh;

my $node = PostgreSQL::Test::Cluster->new('stale');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');

sub state_of
{
	return $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM model_catalog WHERE name = 's') || ',' || "
		  . "(SELECT count(*) FROM varformer_internal.model_store_status() WHERE name = 's')");
}

# 1. A snapshot older than a committed unload.
is($node->safe_psql('postgres', "SELECT load_model('s', '$path')"), 'loaded', 'loaded');
my $a = $node->background_psql('postgres', on_error_stop => 0);
$a->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($a->query_safe("SELECT count(*) FROM model_catalog WHERE name = 's'"), '1',
	'the old snapshot shows the catalog row');
$node->safe_psql('postgres', "SELECT unload_model('s')");
is(state_of(), '0,0', 'unloaded: no row, nothing in shared memory');
is($a->query_safe("SELECT count(*) FROM model_catalog WHERE name = 's'"), '1',
	'the old snapshot still shows the row');
$a->{stderr} = '';
$a->query("SELECT model_checksum('s')");
like($a->{stderr}, qr/model "s" is not loaded/, 'the old snapshot cannot use the unloaded model');
$a->{stderr} = '';
$a->query_safe('COMMIT');
is(state_of(), '0,0', 'and did not put it back into shared memory');

# 2. An unload not yet committed: the row is still visible to everyone else.
is($node->safe_psql('postgres', "SELECT load_model('s', '$path')"), 'loaded', 'loaded again');
my $b = $node->background_psql('postgres', on_error_stop => 0);
$b->query_safe('BEGIN');
$b->query_safe("SELECT unload_model('s')");
is($a->query_safe("SELECT count(*) FROM model_catalog WHERE name = 's'"), '1',
	'the unload in progress: the row is visible');
$a->query("SELECT model_checksum('s')");
like($a->{stderr}, qr/model "s" is not loaded/, 'but the model is not reloaded from it');
$a->{stderr} = '';
$b->query_safe('COMMIT');
is(state_of(), '0,0', 'committed: no row, nothing in shared memory');

# 3. An unload rolled back: the row stands, and the next use reloads the model from it.
is($node->safe_psql('postgres', "SELECT load_model('s', '$path')"), 'loaded', 'loaded a third time');
$b->query_safe('BEGIN');
$b->query_safe("SELECT unload_model('s')");
$b->query_safe('ROLLBACK');
is(state_of(), '1,0', 'the unload rolled back: the row stands, shared memory is empty');
is($a->query_safe("SELECT model_checksum('s')"), '512', 'the next use reloads it');
is(state_of(), '1,1', 'and it is in shared memory with its row');

# 4. Unloaded and loaded again: an old snapshot showing the first row uses the new load.
$a->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$a->query_safe("SELECT count(*) FROM model_catalog");
$node->safe_psql('postgres', "SELECT unload_model('s')");
$node->safe_psql('postgres', "SELECT load_model('s', '$path')");
is($a->query_safe("SELECT model_checksum('s')"), '512', 'a reload after unload and load serves the old snapshot');
$a->query_safe('COMMIT');
is(state_of(), '1,1', 'one row, one model');

$a->quit;
$b->quit;
$node->stop;
done_testing();
