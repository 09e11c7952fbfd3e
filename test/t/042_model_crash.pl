# A backend killed with SIGKILL makes PostgreSQL reinitialise shared memory, and every model
# segment is gone. The next use reloads the model from the persisted catalog, checking its
# sha256, without anyone calling load_model again; a file that changed meanwhile is refused.
use strict;
use warnings;
use File::Copy;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $dir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", $dir) == 0
  or die "could not generate the models";
my $sum_a = slurp_file("$dir/esm.sum") + 0;
copy("$dir/esm_bare.safetensors", "$dir/mutable.safetensors") or die;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\nrestart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
$node->safe_psql('postgres', "SELECT load_model('m', '$dir/esm_f32'), load_model('mutable', '$dir/mutable.safetensors')");
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_a, 'loaded');

sub crash
{
	my $victim = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $victim->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	my $log_offset = -s $node->logfile;
	kill 'KILL', $pid or die "could not kill $pid";
	$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
	$node->poll_query_until('postgres', 'SELECT 1', '1') or die 'server did not come back';
	eval { $victim->quit };
	return $log_offset;
}

my $offset = crash();
is($node->safe_psql('postgres', "SELECT string_agg(name || '=' || loaded, ',' ORDER BY name) FROM models"),
	'm=false,mutable=false', 'after the crash reset no model is in shared memory; the catalog remembers them');
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_a,
	'the first use reloads the model from the catalog');
ok($node->log_contains(qr/reloading model "m"/, $offset), 'the reload is logged');
is($node->safe_psql('postgres', "SELECT loaded FROM models WHERE name = 'm'"), 't', 'loaded again');

# The file behind a model changes on disk; after the next reset it is refused, not served.
is($node->safe_psql('postgres', "SELECT model_checksum('mutable')") + 0, $sum_a, 'mutable reloaded');
copy("$dir/big.safetensors", "$dir/mutable.safetensors") or die;
is($node->safe_psql('postgres', "SELECT model_checksum('mutable')") + 0, $sum_a,
	'until shared memory is lost, the loaded copy keeps serving');
crash();
my ($rc, $out, $err) = $node->psql('postgres', "SELECT model_checksum('mutable')");
like($err, qr/model "mutable" changed on disk since it was loaded/, 'a changed file is refused on reload');
like($err, qr/replace/, 'with a hint how to accept it');
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_a, 'other models still reload');

# A clean restart reloads the same way.
$node->restart;
is($node->safe_psql('postgres', "SELECT model_checksum('m')") + 0, $sum_a, 'reloaded after a restart');

$node->stop;
done_testing();
