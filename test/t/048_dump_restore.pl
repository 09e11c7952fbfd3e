# pg_dump / pg_restore round trip of a database that uses every varformer type (embedding,
# genotype, in tables and arrays) and the extension's own tables (model_catalog, model_gene,
# reference_genome, gene_annotation and gene with two named annotations), and whose support
# functions live in the extension's varformer_internal schema, in the plain, custom and directory formats, and a binary COPY
# round trip of every varformer column (send/recv). After each restore into a new database,
# the models reload from the restored catalog on first use (nobody calls load_model) and
# every value and prediction equals the original's.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $hap = "$root/test/fixtures/haplotype";
my $dir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', "$dir/enc", 4) == 0
  or die "could not generate the encoder";

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\nmax_parallel_workers_per_gather = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE orig');
$node->safe_psql('orig', qq{
CREATE EXTENSION varformer;
SELECT register_reference('ref', '$hap/ref.fa', true) IS NOT NULL;
SELECT import_gtf('$hap/genes.gtf');
SELECT load_model('enet', '$root/test/fixtures/predictdb/rules_v8.db');
SELECT load_model('enc', '$dir/enc');
SELECT load_model('enc_hap', '$dir/enc', '{"window": 60, "reverse_complement": true, "reference": "ref", "allow_unphased": true}');
SET client_min_messages = error;
SELECT import_gtf('$hap/genes_nochr.gtf', 'ensembl');
RESET client_min_messages;
CREATE TABLE people AS SELECT sample, gt FROM read_genotypes('$hap/cases.vcf.gz', 'chr22:1-1200');
CREATE TABLE cohort AS
SELECT i AS sample,
       format('22:1-5000 1000:rs1000:C:T:%s:DS=%s 1100:rs1100:C:T:%s',
              (ARRAY['0|1','1|1','0|0','1|0'])[1 + i % 4], (i % 5) / 2.0,
              (ARRAY['1|1','0|1','0|0','./.'])[1 + i % 4])::genotype AS gt,
       ARRAY[format('22:1-50 10:A:G:%s', (ARRAY['0/1','1','0|0'])[1 + i % 3])::genotype] AS gts
FROM generate_series(1, 30) i;
CREATE TABLE vectors AS
SELECT p.sample, h, encode_haplotype(p.gt, h, 'MAPK1', 'enc_hap') AS e,
       ARRAY[encode_sequence('ACGTACGTAACCGGTT', 'enc'), '[1,-2.5,1e-30,3.4e38]'::embedding] AS es
FROM people p, generate_series(1, 2) h;
});

# Everything a restore must reproduce, as one text per query.
my %checks = (
	'catalog' => q{SELECT string_agg(concat_ws('|', name, kind, architecture, path, options, sha256, reference,
	                 reference_sha256, annotation_sha256, genes, annotation), E'\n' ORDER BY name) FROM model_catalog},
	'model genes' => q{SELECT md5(string_agg(g::text, E'\n' ORDER BY model, gene_id)) FROM model_gene g},
	'references' => q{SELECT string_agg(concat_ws('|', name, fasta_path, is_default, n_contigs, bytes, sha256), ',' ORDER BY name)
	                 FROM reference_genome},
	'genes' => q{SELECT md5(string_agg(g::text, E'\n' ORDER BY annotation, gene_id)) FROM gene g},
	'annotations' => q{SELECT string_agg(concat_ws('|', name, gtf_path, is_default, (SELECT count(*) FROM gene g WHERE g.annotation = a.name)),
	                 ',' ORDER BY name) FROM gene_annotation a},
	'support functions' => q{SELECT count(*) || ' in ' || string_agg(DISTINCT n.nspname, ',') FROM pg_proc p
	                 JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'varformer_internal'},
	'genotypes' => q{SELECT md5(string_agg(sample || gt::text, E'\n' ORDER BY sample)) FROM people},
	'cohort' => q{SELECT md5(string_agg(sample || gt::text || gts::text, E'\n' ORDER BY sample)) FROM cohort},
	'embeddings' => q{SELECT md5(string_agg(sample || h || e::text || es::text, E'\n' ORDER BY sample, h)) FROM vectors},
	'predictions' => q{SELECT md5(string_agg(predict_expression(gt, 'ENSG00000000001.5', 'enet')::text, ';' ORDER BY sample)) FROM cohort},
	'haplotype encodings' => q{SELECT md5(string_agg(encode_haplotype(gt, h, 'MAPK1', 'enc_hap')::text, ';' ORDER BY sample, h))
	                 FROM people, generate_series(1, 2) h},
	'encodings equal the stored ones' => q{SELECT bool_and(encode_haplotype(p.gt, v.h, 'MAPK1', 'enc_hap') = v.e)
	                 FROM vectors v JOIN people p USING (sample)},
	'sequence encodings equal the stored ones' => q{SELECT bool_and(encode_sequence('ACGTACGTAACCGGTT', 'enc') = es[1]) FROM vectors},
	'reference' => q{SELECT md5(reference_sequence('chr22', 1, 1000))},
);
my %want = map { $_ => $node->safe_psql('orig', $checks{$_}) } keys %checks;
is($want{'encodings equal the stored ones'} . $want{'sequence encodings equal the stored ones'}, 'tt',
	'the original recomputes its stored embeddings');
is($node->safe_psql('orig', 'SELECT count(*) FROM model_catalog'), '3', 'three models in the catalog');
ok($node->safe_psql('orig', 'SELECT count(*) FROM model_gene') > 0, 'with a copy of the gene table');
like($want{'annotations'}, qr/^ensembl\|[^,]*genes_nochr\.gtf\|f\|5,genes\|[^,]*genes\.gtf\|f\|5$/, 'two named annotations of 5 genes each');
is($want{'support functions'}, '43 in varformer_internal', 'the support functions are in varformer_internal');

sub compare
{
	my ($db, $what) = @_;
	is($node->safe_psql($db, q{SELECT string_agg(name || '=' || loaded, ',' ORDER BY name) FROM models}),
		'enc=false,enc_hap=false,enet=false', "$what: the restored catalog lists the models, not yet in memory");
	for my $k (sort keys %checks)
	{
		is($node->safe_psql($db, $checks{$k}), $want{$k}, "$what: $k");
	}
	is($node->safe_psql($db, q{SELECT string_agg(name || '=' || loaded, ',' ORDER BY name) FROM models}),
		'enc=true,enc_hap=true,enet=true', "$what: the models were reloaded from the restored catalog");
}

# Plain SQL, custom and directory formats, each restored into a new database.
my $connstr = $node->connstr('orig');
$node->command_ok(['pg_dump', '-d', $connstr, '-f', "$dir/orig.sql"], 'pg_dump plain');
$node->command_ok(['pg_dump', '-d', $connstr, '-Fc', '-f', "$dir/orig.dump"], 'pg_dump custom');
$node->command_ok(['pg_dump', '-d', $connstr, '-Fd', '-j', '2', '-f', "$dir/orig.dir"], 'pg_dump directory');

$node->safe_psql('postgres', 'CREATE DATABASE r_plain');
$node->command_ok(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('r_plain'), '-f', "$dir/orig.sql"],
	'plain dump restores with psql');
compare('r_plain', 'plain');

$node->safe_psql('postgres', 'CREATE DATABASE r_custom');
$node->command_ok(['pg_restore', '--exit-on-error', '-d', $node->connstr('r_custom'), "$dir/orig.dump"],
	'pg_restore custom');
compare('r_custom', 'custom');

$node->safe_psql('postgres', 'CREATE DATABASE r_dir');
$node->command_ok(['pg_restore', '--exit-on-error', '-j', '2', '-d', $node->connstr('r_dir'), "$dir/orig.dir"],
	'pg_restore directory, in parallel');
compare('r_dir', 'directory');

# Binary COPY (the types' send and receive functions) and text COPY through a file, each
# table out and back into an empty copy of itself.
for my $fmt ('binary', 'text')
{
	for my $t ('people', 'cohort', 'vectors')
	{
		$node->safe_psql('orig', qq{
COPY $t TO '$dir/$t.$fmt' (FORMAT $fmt);
CREATE TABLE ${t}_back (LIKE $t);
COPY ${t}_back FROM '$dir/$t.$fmt' (FORMAT $fmt);
});
	}
	my $back = sub { my $q = shift; $q =~ s/\b(people|cohort|vectors)\b/$1_back/g; $q };
	for my $k ('genotypes', 'cohort', 'embeddings', 'predictions', 'haplotype encodings')
	{
		is($node->safe_psql('orig', $back->($checks{$k})), $want{$k}, "$fmt COPY: $k");
	}
	is($node->safe_psql('orig', q{SELECT count(*) FROM people p JOIN people_back b USING (sample) WHERE p.gt = b.gt}),
		$node->safe_psql('orig', 'SELECT count(*) FROM people'), "$fmt COPY: every genotype equal to its original");
	$node->safe_psql('orig', 'DROP TABLE people_back, cohort_back, vectors_back');
}

$node->stop;
done_testing();
