# Registered references and imported genes persist: across a server restart (each backend
# reopens the FASTA from the registry table) and through pg_dump/restore (both tables are
# extension configuration tables, so their rows are dumped).
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $fixtures = "$FindBin::Bin/../fixtures/haplotype";
my $node = PostgreSQL::Test::Cluster->new('reference_persist');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
$node->safe_psql('postgres', "SELECT register_reference('persist', '$fixtures/ref.fa', is_default => true)");
$node->safe_psql('postgres', "SELECT import_gtf('$fixtures/genes.gtf')");
my $before = $node->safe_psql('postgres', "SELECT reference_sequence('chr22', 395, 410)");
is(length($before), 16, 'reference window read');

$node->restart;
is($node->safe_psql('postgres', "SELECT reference_sequence('chr22', 395, 410)"), $before,
   'registry survives a restart');

my $dump = $node->basedir . '/dump.sql';
command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('restored'), '-f', $dump ],
		   'restore');
is($node->safe_psql('restored', "SELECT name || ':' || is_default FROM reference_genome"), 'persist:true',
   'registry row restored');
is($node->safe_psql('restored', "SELECT reference_sequence('chr22', 395, 410)"), $before,
   'restored registry is usable');
is($node->safe_psql('restored', "SELECT count(*) || ':' || (find_gene('ENSG00000100030')).tss FROM gene"), '5:101',
   'genes restored, unversioned lookup works');
$node->stop;
done_testing();
