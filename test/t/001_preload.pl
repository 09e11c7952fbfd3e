# The library is loaded by the postmaster and CREATE EXTENSION works in a fresh cluster.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'varformer'"),
   '0.2', 'extension created');
$node->stop;
done_testing();
