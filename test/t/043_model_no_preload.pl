# Without shared_preload_libraries the model store cannot exist: load_model and model use
# fail with a clear error and a hint, instead of crashing or half-working.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
my ($rc, $out, $err) = $node->psql('postgres', "SELECT load_model('m', 'nowhere')");
like($err, qr/model store is not available: the library was not preloaded/, 'load_model explains');
like($err, qr/HINT:  Add 'varformer' to shared_preload_libraries/, 'with a hint');
($rc, $out, $err) = $node->psql('postgres', "SELECT model_checksum('m')");
like($err, qr/not preloaded/, 'using a model explains too');
$node->stop;
done_testing();
