# ALTER EXTENSION varformer UPDATE: a database created at every older version the package
# ships a full script for (extension/upgrade/varformer--V.sql, frozen when V was released)
# and then updated must end up with exactly the catalog of a fresh install of the default
# version: same members, same function definitions (volatility, STRICT, PARALLEL, COST,
# body), types, operators, operator classes, casts, tables and their columns in order,
# indexes, views, comments and privileges (test/t/extension_catalog.sql lists what is
# compared). A change to extension/sql/*.sql that is not repeated in the upgrade script
# (extension/upgrade/varformer--OLD--NEW.sql) fails here, naming the object that differs.
# Data stored before the update must read back unchanged after it, and a model that reads
# haplotypes, bound under the older version to genes imported then, must encode as a fresh
# install does after the update, be bound as a fresh load binds it, and load again unchanged.
use strict;
use warnings;
use File::Basename qw(dirname);
use FindBin;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $hap = "$root/test/fixtures/haplotype";
my $encdir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', "$encdir/enc", 4) == 0
  or die "could not generate the encoder";
my $hap_options = '{"window": 60, "reverse_complement": true, "reference": "ref", "allow_unphased": true}';

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

# What a haplotype-reading model computes in a fresh install, for the same genes and weights.
$node->safe_psql('fresh', qq{
	SELECT register_reference('ref', '$hap/ref.fa', true);
	SELECT import_gtf('$hap/genes.gtf');
	SELECT load_model('enc_hap', '$encdir/enc', '$hap_options');
	CREATE TABLE people AS SELECT sample, gt FROM read_genotypes('$hap/cases.vcf.gz', 'chr22:1-1200');
});
my $encode_sql = q{
	SELECT string_agg(format('%s %s %s %s', p.sample, h, g, encode_haplotype(p.gt, h, g, 'enc_hap')), E'\n'
	                  ORDER BY p.sample, h, g)
	FROM people p, generate_series(1, 2) h, unnest(ARRAY['MAPK1', 'LINC-TEST']) g};
my $genes_sql = q{
	SELECT string_agg(format('%s %s %s %s %s', (f).gene_id, (f).gene_name, (f).chrom, (f).tss, (f).strand), ',' ORDER BY id)
	FROM (SELECT id, find_gene(id) AS f FROM unnest(ARRAY['MAPK1', 'LINC-TEST']) id) x};
my $encoded = $node->safe_psql('fresh', $encode_sql);
my $genes = $node->safe_psql('fresh', $genes_sql);
ok(length($encoded) > 100, 'a haplotype-reading model encodes in a fresh install');
# The gene rows import_gtf makes of the GTF, and the catalog row of the model (as VALUES).
my $gene_rows = $node->safe_psql('fresh', q{
	SELECT string_agg(format('(%L, %L, %L, %s, %s, %L, %s, %L)', gene_id, gene_name, chrom, start, "end", strand, tss, gene_type), ', ')
	FROM gene});
my $model_row = $node->safe_psql('fresh', q{
	SELECT format('(%L, %L, %L, %L, %L::jsonb, %L, %s, %s, now(), %L, %L, %s)', name, kind, architecture, path,
	              options - 'annotation', sha256, parameters, bytes, reference, reference_sha256, genes)
	FROM model_catalog WHERE name = 'enc_hap'});
my $binding_sql = q{SELECT format('%s|%s|%s|%s|%s|%s|%s', kind, options, reference, reference_sha256, annotation_sha256, genes, annotation)
                    FROM model_catalog WHERE name = :'model'};
sub binding {
	my ($db, $model) = @_;
	return $node->safe_psql($db, $binding_sql, extra_params => ['-v', "model=$model"]);
}

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
	# Genes and a model bound to them as the older version stored them. The library installed
	# is the current one, whose import_gtf and load_model need the current tables, so the rows
	# are written here as 0.1's wrote them: the genes import_gtf makes of the GTF, the catalog
	# row with the options as given plus the resolved reference, the sha256 of the whole gene
	# table's rows, and the copy of the gene table in model_gene.
	$node->safe_psql($db, qq{
		SELECT register_reference('ref', '$hap/ref.fa', true);
		INSERT INTO gene (gene_id, gene_name, chrom, start, "end", strand, tss, gene_type) VALUES $gene_rows;
		INSERT INTO model_catalog (name, kind, architecture, path, options, sha256, parameters, bytes, loaded_at,
		                           reference, reference_sha256, genes) VALUES $model_row;
		UPDATE model_catalog SET annotation_sha256 = (
		    SELECT encode(sha256(convert_to(coalesce(string_agg(g::text, E'\\n' ORDER BY g.gene_id), ''), 'UTF8')), 'hex')
		    FROM gene g);
		INSERT INTO model_gene (model, gene_id, gene_name, chrom, start, "end", strand, tss, gene_type, gene_id_unversioned)
		SELECT 'enc_hap', gene_id, gene_name, chrom, start, "end", strand, tss, gene_type, gene_id_unversioned FROM gene;
		CREATE TABLE people AS SELECT sample, gt FROM read_genotypes('$hap/cases.vcf.gz', 'chr22:1-1200');
	});
	my $before = $node->safe_psql($db, $data_sql);

	$node->safe_psql($db, 'ALTER EXTENSION varformer UPDATE');
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'varformer'"),
		$default, "ALTER EXTENSION varformer UPDATE takes $old to $default");
	is($node->safe_psql($db, $data_sql), $before, "values stored at $old read back the same after the update");
	is($node->safe_psql($db, $genes_sql), $genes, "find_gene finds the genes imported at $old");
	is($node->safe_psql($db, q{SELECT string_agg(format('%s %s %s', name, is_default, (SELECT count(*) FROM gene g WHERE g.annotation = a.name)), ',')
	                           FROM gene_annotation a}),
		'default t ' . $node->safe_psql($db, 'SELECT count(*) FROM gene'),
		"the genes imported at $old are the default annotation \"default\"");
	is($node->safe_psql($db, $encode_sql), $encoded,
		"the model bound at $old encodes every haplotype as in a fresh $default install");
	# a fresh load binds the same annotation with the same options and gene sha256
	$node->safe_psql($db, qq{SELECT load_model('enc_hap_new', '$encdir/enc', '$hap_options')});
	is(binding($db, 'enc_hap'), binding($db, 'enc_hap_new'),
		"the model bound at $old is bound as a load at $default binds it");
	is($node->safe_psql($db, qq{SELECT load_model('enc_hap', '$encdir/enc', '$hap_options')}), 'unchanged',
		"loading the model bound at $old again without replace finds it unchanged");
	$node->restart;
	is($node->safe_psql($db, $encode_sql), $encoded,
		"after a restart the model bound at $old reloads from its catalog row and encodes the same");

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
