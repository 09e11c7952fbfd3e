# ALTER EXTENSION varformer UPDATE: a database created at every older version the package
# ships a full script for (extension/upgrade/varformer--V.sql, frozen when V was released)
# and then updated must end up with exactly the catalog of a fresh install of the default
# version: same members, same function definitions (volatility, STRICT, PARALLEL, COST,
# body), types, operators, operator classes, casts, tables and their columns in order,
# indexes, views, comments and privileges (test/t/extension_catalog.sql lists what is
# compared). A change to extension/sql/*.sql that is not repeated in the upgrade script
# (extension/upgrade/varformer--OLD--NEW.sql) fails here, naming the object that differs.
# Data stored before the update must read back unchanged after it.
use strict;
use warnings;
use File::Basename qw(dirname);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('update');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\n");
$node->start;

my $catalog_sql = do {
	open my $fh, '<', dirname(__FILE__) . "/extension_catalog.sql" or die "extension_catalog.sql: $!";
	local $/;
	<$fh>;
};
sub catalog {
	my ($db) = @_;
	return decode_json($node->safe_psql($db, $catalog_sql));
}

my $default = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'varformer'");
my @older = grep { $_ ne $default } split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'varformer' ORDER BY version");
ok(scalar(@older) >= 1, "older versions installable beside the default $default: @older");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION varformer');
is($node->safe_psql('fresh', "SELECT extversion FROM pg_extension WHERE extname = 'varformer'"),
	$default, "a fresh install is at $default");
my $want = catalog('fresh');
ok(scalar(keys %$want) > 100, 'the catalog description of a fresh install has ' . scalar(keys %$want) . ' entries');

# values that live in user tables and in the extension's own tables across the update
my $data_sql = q{
	SELECT 'embedding', e::text FROM vals
	UNION ALL SELECT 'genotype', g::text FROM vals
	UNION ALL SELECT 'reference_genome', count(*)::text FROM reference_genome
	ORDER BY 1};

for my $old (@older) {
	my $db = "from_" . ($old =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION varformer VERSION '$old'");
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'varformer'"),
		$old, "installed at $old");
	$node->safe_psql($db, q{
		CREATE TABLE vals (e embedding, g genotype);
		INSERT INTO vals VALUES ('[1.5,-2,0.25]', '22:100-200 150:A:G:0|1 170:C:CT,CTT:1/2:DS=0.5,.');
	});
	my $before = $node->safe_psql($db, $data_sql);

	$node->safe_psql($db, 'ALTER EXTENSION varformer UPDATE');
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'varformer'"),
		$default, "ALTER EXTENSION varformer UPDATE takes $old to $default");
	is($node->safe_psql($db, $data_sql), $before, "values stored at $old read back the same after the update");

	my $got = catalog($db);
	my @missing = grep { !exists $got->{$_} } sort keys %$want;
	my @extra = grep { !exists $want->{$_} } sort keys %$got;
	my @differ = grep { exists $got->{$_} && $got->{$_} ne $want->{$_} } sort keys %$want;
	is(scalar(@missing), 0, "$old updated has everything a fresh $default has")
	  or diag("missing after the update (add to the upgrade script):\n  " . join("\n  ", @missing));
	is(scalar(@extra), 0, "$old updated has nothing a fresh $default lacks")
	  or diag("left over after the update (drop it in the upgrade script):\n  " . join("\n  ", @extra));
	is(scalar(@differ), 0, "$old updated defines every object as a fresh $default does")
	  or diag(join("\n", map { "$_\n  updated: $got->{$_}\n  fresh:   $want->{$_}" } @differ));
}

$node->stop;
done_testing();
