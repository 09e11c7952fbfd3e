# A cohort over a coordinator and two shards (tools/shard/: postgres_fdw, shard-side views),
# three local instances. Every server loads the same reference, annotation and models from the
# same files. Checked:
#   - the cohort's rows are routed to both shards, and the analyst's functions on the
#     coordinator (one gene, many genes, a PredictDB model, a seq2func model, an ensemble,
#     predict_expression_detail, encode_haplotype, per-gene mean, correlation with a trait) run
#     on the shards: the plan ships each query to both shards asynchronously, the shard's own
#     plan of that Remote SQL calls predict_expression, and after the queries the shards'
#     pg_stat_user_functions count every prediction while the coordinator's count none;
#   - the results equal those of one server (the coordinator itself over a local copy of the
#     same cohort): predictions and embeddings exactly, means and correlations to 1e-12;
#   - gene ids the shards' views do not offer (other spellings, genes without weights, NULL)
#     give one server's rows, NULLs included, and ids one server refuses give its error (same
#     SQLSTATE and message naming the gene) through the coordinator;
#   - a shard that is down, and a shard whose model differs (other file, other options,
#     missing, or an ensemble's member differs), are refused with an error naming the shard
#     and the model, and shard_model_differences() lists what differs.
use strict;
use warnings;
use Cwd qw(abs_path);
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = abs_path("$FindBin::Bin/../..");
for my $m ('build/generated/predictor/models/enformer_pt', 'build/generated/encoder/models/nt_v1')
{
	plan skip_all => "$m is missing: run make fixtures" unless -d "$root/$m";
}

# A small PredictDB model over the fused fixture's sites (two genes, varID keys). The second
# file is the same model with other weights: a shard loading it under the same name differs.
my $dir = PostgreSQL::Test::Utils::tempdir();
my $make_db = <<'PY';
import sqlite3, sys
path, scale = sys.argv[1], float(sys.argv[2])
db = sqlite3.connect(path)
db.execute("CREATE TABLE weights (gene TEXT, rsid TEXT, varID TEXT, ref_allele TEXT, eff_allele TEXT, weight DOUBLE)")
db.execute('CREATE TABLE extra (gene TEXT, genename TEXT, "n.snps.in.model" INTEGER, '
           '"pred.perf.R2" DOUBLE, "pred.perf.pval" DOUBLE, "pred.perf.qval" DOUBLE)')
# (gene, position, REF, ALT of the fixture's VCF, effect allele = ALT or, swapped, REF, weight)
for g, pos, ref, alt, swapped, w in [("ENSG00000900001.1", 1200, "A", "C", False, 0.25),
                                     ("ENSG00000900001.1", 2990, "T", "A", True, -0.5),
                                     ("ENSG00000900001.1", 3200, "A", "C", False, 0.125),
                                     ("ENSG00000900002.1", 5400, "A", "C", True, 0.75),
                                     ("ENSG00000900002.1", 5650, "T", "A", False, -0.375),
                                     ("ENSG00000900002.1", 7600, "A", "C", False, 1.5)]:
    other, eff = (alt, ref) if swapped else (ref, alt)
    db.execute("INSERT INTO weights VALUES (?,?,?,?,?,?)",
               (g, "rs%d" % pos, "chr5_%d_%s_%s_b38" % (pos, ref, alt), other, eff, w * scale))
db.execute("INSERT INTO extra VALUES ('ENSG00000900001.1', 'GENEP', 3, 0.1, 0.01, 0.02)")
db.execute("INSERT INTO extra VALUES ('ENSG00000900002.1', 'GENEM', 3, 0.2, 0.01, 0.02)")
db.commit()
PY
system('/usr/bin/python3', '-c', $make_db, "$dir/enet.db", '1') == 0 or die 'could not write enet.db';
system('/usr/bin/python3', '-c', $make_db, "$dir/enet_other.db", '2') == 0 or die 'could not write enet_other.db';

my $load = qq{
SET varformer.file_root = '$root';
SELECT register_reference('fz_ref', 'test/fixtures/fused/ref.fa', true);
SELECT import_gtf('test/fixtures/fused/genes.gtf');
SELECT load_model('enet', '$dir/enet.db');
SELECT load_model('s2f', 'build/generated/predictor/models/enformer_pt', '{"window": 1280, "allow_unphased": true}');
SELECT load_model('enc', 'build/generated/encoder/models/nt_v1', '{"window": 60, "allow_unphased": true}');
SELECT load_model('blend', NULL, '{"ensemble": {"enet": 0.5, "s2f": 2.0}, "intercept": 1.0}');
};

my %node;
for my $name ('coord', 's1', 's2')
{
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init;
	$n->append_conf('postgresql.conf',
		"shared_preload_libraries = 'varformer'\ntrack_functions = 'all'\njit = off\n");
	$n->start;
	$n->safe_psql('postgres', "CREATE EXTENSION varformer;\n$load");
	$node{$name} = $n;
}
my ($coord, $s1, $s2) = @node{qw(coord s1 s2)};

for my $s ('s1', 's2')
{
	$node{$s}->command_ok(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', "shard=$s", '-d', 'postgres',
		  '-f', "$root/tools/shard/shard.sql" ],
		"tools/shard/shard.sql on $s");
}
$coord->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-f', "$root/tools/shard/coordinator.sql" ],
	'tools/shard/coordinator.sql on the coordinator');
$coord->safe_psql('postgres', sprintf(
	"CALL shard_cluster_create(ARRAY['s1', 's2'], ARRAY['%s', '%s'], ARRAY[%d, %d], 'postgres')",
	$s1->host, $s2->host, $s1->port, $s2->port));

# the cohort (7 people of the fixture, 4 copies each) and a trait, written through the
# coordinator; the same rows in local tables of the coordinator: one server.
my $people = q{SELECT sample || '_' || k AS sample, gt
FROM read_genotypes('test/fixtures/fused/people.vcf.gz', 'chr5:1-8000'), generate_series(1, 4) k};
my $trait = q{SELECT sample, 'ldl'::text AS trait,
       (abs(hashtext(sample)) % 1000) / 100.0 + 3 * (sample LIKE 'S2%')::int AS value};
$coord->safe_psql('postgres', qq{
SET varformer.file_root = '$root';
INSERT INTO cohort $people;
INSERT INTO phenotype $trait FROM cohort;
CREATE TABLE one_cohort AS $people;
CREATE TABLE one_phenotype AS $trait FROM one_cohort;
});
my ($n1, $n2) = map { $node{$_}->safe_psql('postgres', 'SELECT count(*) FROM cohort') } ('s1', 's2');
ok($n1 > 0 && $n2 > 0 && $n1 + $n2 == 28, "the cohort's 28 people are split between the shards ($n1 + $n2)");
is($s1->safe_psql('postgres', 'SELECT count(*) FROM phenotype p JOIN cohort c USING (sample)'), $n1,
	'a person\'s trait is on the shard holding the person');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM shard_model_differences()'), '0',
	'every shard has the coordinator\'s models');

# The plans: one query to each shard, both started at once; aggregates grouped by shard are
# shipped whole. The shard's plan of the shipped query computes predict_expression.
my $plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
SELECT p.sample, p.grex FROM shards.cohort_predictions p WHERE p.model = 'enet' AND p.gene = 'ENSG00000900001'});
my @remote = $plan =~ /Remote SQL: (.*)/g;
is(scalar(() = $plan =~ /Async Foreign Scan on shards\.cohort_predictions_s[12]/g), 2,
	'cohort predictions: an asynchronous foreign scan per shard');
like($remote[0] // '', qr/FROM public\.cohort_predictions WHERE .*model = 'enet'.*gene = 'ENSG00000900001'/,
	'the model and gene are shipped to the shards');
my $shard_plan = $s1->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $remote[0]");
like($shard_plan, qr/Output: predict_expression\(c\.gt, k\.gene, m\.name\)/,
	'the shard computes predict_expression for the shipped query');
# Many genes: the shard's plan keeps its people outside the gene list (each genotype decoded
# once, then reused for every gene), the list computed once (Memoize).
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF) SELECT p.sample, p.gene, p.grex FROM shards.cohort_predictions p
WHERE p.model = 'enet' AND p.gene = ANY ('{ENSG00000900001,ENSG00000900002,GENEP,GENEM,ENSG00000900001.1,ENSG00000900002.1}')});
($remote[0]) = $plan =~ /Remote SQL: (.*)/;
$shard_plan = $s1->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $remote[0]");
like($shard_plan, qr/->  Seq Scan on public\.cohort c\n(?:.*\n)*?\s*->  Memoize\n(?:.*\n)*?\s*Cache Key: m\.name, c\.tableoid\n(?:.*\n)*?\s*->  Function Scan on public\.shard_gene_ids k/,
	'many genes: people outside, the gene list inside and computed once');
$plan = $coord->safe_psql('postgres', q{SET enable_partitionwise_aggregate = on;
EXPLAIN (VERBOSE, COSTS OFF) SELECT p.shard, p.gene, count(p.grex), sum(p.grex)
FROM shards.cohort_predictions p WHERE p.model = 'enet' AND p.gene = ANY ('{ENSG00000900001}') GROUP BY p.shard, p.gene});
is(scalar(() = $plan =~ /Relations: Aggregate on \(shards\.cohort_predictions_s[12] p(?:_\d+)?\)/g), 2,
	'per-gene sums: the aggregate is computed on each shard');
like($plan, qr/Remote SQL: SELECT shard, gene, count\(grex\), sum\(grex\) FROM public\.cohort_predictions .* GROUP BY 1, 2/,
	'the shipped query groups on the shard');

# The analyst's queries, through the coordinator; results kept for the comparison below.
$coord->safe_psql('postgres', q{
CREATE TABLE r_one AS SELECT * FROM cohort_predict('ENSG00000900001', 'enet');
CREATE TABLE r_many AS SELECT * FROM cohort_predict(ARRAY['GENEP', 'ENSG00000900002.1'], 's2f');
CREATE TABLE r_blend AS SELECT * FROM cohort_predict('ENSG00000900002', 'blend');
CREATE TABLE r_detail AS SELECT * FROM cohort_predict_detail('ENSG00000900002', 'enet');
CREATE TABLE r_enc AS SELECT * FROM cohort_encode('GENEP', 'enc');
CREATE TABLE r_mean AS SELECT * FROM cohort_prediction_mean(ARRAY['ENSG00000900001.1', 'ENSG00000900002'], 'enet');
CREATE TABLE r_corr AS SELECT * FROM cohort_prediction_corr(ARRAY['ENSG00000900001', 'ENSG00000900002.1'], 'blend', 'ldl');
});
is($coord->safe_psql('postgres', 'SELECT count(*) FROM r_one') . ' ' . $coord->safe_psql('postgres', 'SELECT count(*) FROM r_many')
	. ' ' . $coord->safe_psql('postgres', 'SELECT count(*) FROM r_enc'), '28 56 56', 'a row per person, gene and haplotype');

# Where the work ran: predict_expression was called 9 times per person (1 + 2 + 1 + 1 + 2 + 2
# genes over the calls above), each on the shard holding the person; encode_haplotype twice.
# Statistics are flushed when the shards' sessions end, so close them and wait for it.
$coord->safe_psql('postgres', 'SELECT postgres_fdw_disconnect_all()');
# (encode_haplotype: the four-argument form the analyst calls, not the options form it calls)
my $calls = q{SELECT coalesce(sum(calls) FILTER (WHERE funcname = 'predict_expression'), 0) || ' '
  || coalesce(sum(calls) FILTER (WHERE funcid = 'encode_haplotype(genotype,integer,text,text)'::regprocedure), 0)
  FROM pg_stat_user_functions};
for ([ $s1, $n1 ], [ $s2, $n2 ])
{
	my ($s, $n) = @$_;
	my $want = 9 * $n . ' ' . 2 * $n;
	ok($s->poll_query_until('postgres', $calls, $want), $s->name . ": predict_expression and encode_haplotype calls = $want");
}
is($coord->safe_psql('postgres', $calls), '0 0', 'the coordinator predicted and encoded nothing');

# The same on one server: exactly equal, aggregates up to rounding.
my %same = (
	'one gene, PredictDB' => q{SELECT count(*) FROM one_cohort o FULL JOIN r_one r USING (sample)
		WHERE r.grex IS DISTINCT FROM predict_expression(o.gt, 'ENSG00000900001', 'enet')},
	'many genes, seq2func' => q{SELECT count(*) FROM (one_cohort o CROSS JOIN unnest(ARRAY['GENEP', 'ENSG00000900002.1']) g(gene))
		FULL JOIN r_many r USING (sample, gene) WHERE r.grex IS DISTINCT FROM predict_expression(o.gt, gene, 's2f')},
	'an ensemble' => q{SELECT count(*) FROM one_cohort o FULL JOIN r_blend r USING (sample)
		WHERE r.grex IS DISTINCT FROM predict_expression(o.gt, 'ENSG00000900002', 'blend')},
	'predict_expression_detail' => q{SELECT count(*) FROM one_cohort o FULL JOIN r_detail r USING (sample)
		CROSS JOIN LATERAL predict_expression_detail(o.gt, 'ENSG00000900002', 'enet') d
		WHERE (r.grex, r.n_snps_used, r.missing) IS DISTINCT FROM (d.grex, d.n_snps_used, d.missing)},
	'encode_haplotype' => q{SELECT count(*) FROM (one_cohort o CROSS JOIN (VALUES (1), (2)) h(hap))
		FULL JOIN r_enc r USING (sample, hap) WHERE r.embedding IS DISTINCT FROM encode_haplotype(o.gt, hap, 'GENEP', 'enc')},
	'per-gene mean' => q{SELECT count(*) FROM (SELECT gene, count(x) AS n, avg(x) AS mean
		FROM (SELECT g.gene, predict_expression(o.gt, g.gene, 'enet') AS x
		      FROM one_cohort o CROSS JOIN unnest(ARRAY['ENSG00000900001.1', 'ENSG00000900002']) g(gene)) y GROUP BY gene) w
		FULL JOIN r_mean r USING (gene) WHERE r.n IS DISTINCT FROM w.n OR NOT abs(r.mean - w.mean) <= 1e-12 * abs(w.mean)},
	'correlation with a trait' => q{SELECT count(*) FROM (SELECT gene, regr_count(value, x) AS n, corr(value, x) AS r
		FROM (SELECT g.gene, p.value, predict_expression(o.gt, g.gene, 'blend') AS x
		      FROM one_cohort o JOIN one_phenotype p USING (sample)
		      CROSS JOIN unnest(ARRAY['ENSG00000900001', 'ENSG00000900002.1']) g(gene)) y GROUP BY gene) w
		FULL JOIN r_corr r USING (gene) WHERE r.n IS DISTINCT FROM w.n OR NOT abs(r.r - w.r) <= 1e-12 * abs(w.r)},
);
for my $what (sort keys %same)
{
	is($coord->safe_psql('postgres', $same{$what}), '0', "$what: as on one server");
}
my $r = $coord->safe_psql('postgres', q{SELECT count(DISTINCT grex) > 1 AND bool_and(grex IS NOT NULL) FROM r_many});
is($r, 't', 'the compared predictions are neither constant nor NULL');
$r = $coord->safe_psql('postgres', q{SELECT bool_and(abs(r) > 0 AND abs(r) < 1) FROM r_corr});
is($r, 't', 'the compared correlations are not degenerate');

# Gene ids beyond model_gene_ids (another case, another version, a gene the model has no
# weights for, NULL) give what one server gives: computed on the coordinator, as it says.
# GENEX: a gene the gene table knows (imported on every server after the models were
# loaded) and no model has: predict_expression gives NULL with enet, errors with s2f.
my $genex = q{INSERT INTO gene (gene_id, gene_name, chrom, start, "end", strand, tss, gene_type, annotation)
VALUES ('ENSG00000900003.1', 'GENEX', 'chr5', 6000, 6500, '+', 6000, 'protein_coding', annotation_resolve(NULL))};
$_->safe_psql('postgres', $genex) for ($coord, $s1, $s2);
my ($ret, $out, $err) = $coord->psql('postgres', q{CREATE TABLE r_odd AS
	SELECT * FROM cohort_predict(ARRAY['genep', 'ENSG00000900002.9', 'GENEX', NULL, 'GENEM', 'genep'], 'enet')});
like($err, qr/NOTICE:  computing predict_expression on the coordinator for gene ids model_gene_ids\('enet'\) does not list: 'genep', 'ENSG00000900002\.9', 'GENEX', NULL\n/,
	'ids the shards do not offer: the coordinator says it computes them');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM
	(one_cohort o CROSS JOIN (SELECT DISTINCT g FROM unnest(ARRAY['genep', 'ENSG00000900002.9', 'GENEX', NULL, 'GENEM']) g) g(gene))
	FULL JOIN r_odd r ON r.sample = o.sample AND r.gene IS NOT DISTINCT FROM g.gene
	WHERE r.sample IS NULL OR o.sample IS NULL OR r.grex IS DISTINCT FROM predict_expression(o.gt, g.gene, 'enet')}), '0',
	'other spellings, a gene without weights and NULL: as on one server');
is($coord->safe_psql('postgres', q{SELECT string_agg(coalesce(gene, 'NULL') || ' ' || n, ', ' ORDER BY gene COLLATE "C")
	FROM (SELECT gene, count(grex) AS n FROM r_odd GROUP BY gene) c}),
	'ENSG00000900002.9 28, GENEM 28, GENEX 0, genep 28, NULL 0', 'predictions for the spellings, NULLs for the others');
($ret, $out, $err) = $coord->psql('postgres', q{SELECT count(*) FROM cohort_predict('GENEM', 'enet')});
is("$out $err", '28 ', 'a PredictDB gene name is computed on the shards (no notice)');
$coord->safe_psql('postgres', q{
CREATE TABLE r_odd_mean AS SELECT * FROM cohort_prediction_mean(ARRAY['GENEX', 'genem', 'ENSG00000900001'], 'enet');
CREATE TABLE r_odd_corr AS SELECT * FROM cohort_prediction_corr(ARRAY['ENSG00000900002.9', 'ENSG00000900001'], 'blend', 'ldl');
CREATE TABLE r_odd_enc AS SELECT * FROM cohort_encode('genep', 'enc');
CREATE TABLE r_odd_detail AS SELECT * FROM cohort_predict_detail('GENEX', 'enet');
});
is($coord->safe_psql('postgres', q{SELECT count(*) FROM (SELECT gene, count(x) AS n, avg(x) AS mean
	FROM (SELECT g.gene, predict_expression(o.gt, g.gene, 'enet') AS x
	      FROM one_cohort o CROSS JOIN unnest(ARRAY['GENEX', 'genem', 'ENSG00000900001']) g(gene)) y GROUP BY gene) w
	FULL JOIN r_odd_mean r USING (gene)
	WHERE r.n IS DISTINCT FROM w.n OR (w.mean IS NULL) <> (r.mean IS NULL) OR NOT abs(r.mean - w.mean) <= 1e-12 * abs(w.mean)}), '0',
	'per-gene mean over such ids: as on one server');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM (SELECT gene, regr_count(value, x) AS n, corr(value, x) AS r
	FROM (SELECT g.gene, p.value, predict_expression(o.gt, g.gene, 'blend') AS x
	      FROM one_cohort o JOIN one_phenotype p USING (sample)
	      CROSS JOIN unnest(ARRAY['ENSG00000900002.9', 'ENSG00000900001']) g(gene)) y GROUP BY gene) w
	FULL JOIN r_odd_corr r USING (gene)
	WHERE r.n IS DISTINCT FROM w.n OR NOT abs(r.r - w.r) <= 1e-12 * abs(w.r)}), '0',
	'correlation over such ids: as on one server');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM (one_cohort o CROSS JOIN (VALUES (1), (2)) h(hap))
	FULL JOIN r_odd_enc r USING (sample, hap) WHERE r.embedding IS DISTINCT FROM encode_haplotype(o.gt, hap, 'genep', 'enc')}), '0',
	'encode_haplotype with a name in another case: as on one server');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM one_cohort o FULL JOIN r_odd_detail r USING (sample)
	CROSS JOIN LATERAL predict_expression_detail(o.gt, 'GENEX', 'enet') d
	WHERE (r.grex, r.n_snps_used, r.missing) IS DISTINCT FROM (d.grex, d.n_snps_used, d.missing)}), '0',
	'predict_expression_detail for a gene without weights: as on one server');

# An id one server refuses is refused through the coordinator with one server's error (same
# SQLSTATE and message naming the gene), before any prediction is computed.
sub first_error
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $coord->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $ret == 0 ? "(no error: $out)" : ($err =~ /ERROR:  ([0-9A-Z]{5}: [^\n]*)/ ? $1 : $err);
}
for my $case (
	[ q{cohort_predict('NOPE', 'enet')}, q{predict_expression(gt, 'NOPE', 'enet') FROM one_cohort}, 'an unknown gene, PredictDB' ],
	[ q{cohort_predict(ARRAY['GENEP', 'GENEX'], 's2f')}, q{predict_expression(gt, g, 's2f') FROM one_cohort, unnest(ARRAY['GENEP', 'GENEX']) g},
	  'a gene outside the annotation bound to a seq2func model' ],
	[ q{cohort_prediction_mean(ARRAY['ENSG00000900001', 'nope'], 'blend')}, q{predict_expression(gt, 'nope', 'blend') FROM one_cohort},
	  'an unknown gene, an ensemble, per-gene mean' ],
	[ q{cohort_encode('NOPE', 'enc')}, q{encode_haplotype(gt, 1, 'NOPE', 'enc') FROM one_cohort}, 'an unknown gene, encode_haplotype' ],
	[ q{cohort_predict('GENEP', 'enc')}, q{predict_expression(gt, 'GENEP', 'enc') FROM one_cohort},
	  'an encoder given to predict_expression (raised on the shards)' ])
{
	my ($through, $one, $what) = @$case;
	my $want = first_error("SELECT $one");
	like($want, qr/^[0-9A-Z]{5}: /, "$what: one server errors ($want)");
	is(first_error("SELECT * FROM $through"), $want, "$what: the same error through the coordinator");
}

# (a model loaded again below would bind GENEX: the servers would differ)
$_->safe_psql('postgres', q{DELETE FROM gene WHERE gene_id = 'ENSG00000900003.1'}) for ($coord, $s1, $s2);

# A shard that is down: the error names it.
sub coord_error
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $coord->psql('postgres', $sql);
	return $ret == 0 ? "(no error: $out)" : $err;
}
$s2->stop;
like(coord_error(q{SELECT * FROM cohort_predict('ENSG00000900001', 'enet')}),
	qr/ERROR:  shard "s2" cannot be reached/, 'a shard that is down is named');
$s2->start;
is($coord->safe_psql('postgres', q{SELECT count(*) FROM cohort_predict('ENSG00000900001', 'enet')}), '28',
	'the shard back up: the query runs again');

# A shard whose model differs: refused, naming the shard and the model.
$s2->safe_psql('postgres', qq{SELECT load_model('enet', '$dir/enet_other.db', '{"replace": true}')});
like(coord_error(q{SELECT * FROM cohort_predict('ENSG00000900001', 'enet')}),
	qr/ERROR:  model "enet" on shard "s2" differs from the coordinator's \(sha256\)/, 'other weights on a shard: refused');
like(coord_error(q{SELECT * FROM cohort_prediction_mean(ARRAY['GENEP'], 'blend')}),
	qr/ERROR:  model "enet" on shard "s2" differs/, 'an ensemble whose member differs on a shard: refused');
is($coord->safe_psql('postgres', q{SELECT shard || ' ' || model || ' ' || field || ' ' || (coordinator <> on_shard)
	FROM shard_model_differences()}), 's2 enet sha256 true', 'shard_model_differences lists it');
# (an ensemble on the shard uses enet: replaced in place, other options build another image)
$s2->safe_psql('postgres', qq{SELECT load_model('enet', '$dir/enet.db', '{"palindromic": "skip", "replace": true}')});
like(coord_error(q{SELECT * FROM cohort_predict('ENSG00000900001', 'enet')}),
	qr/ERROR:  model "enet" on shard "s2" differs from the coordinator's \(options\)/, 'other options on a shard: refused');
$s1->safe_psql('postgres', q{SELECT unload_model('blend'); SELECT unload_model('s2f')});
like(coord_error(q{SELECT * FROM cohort_predict('GENEP', 's2f')}),
	qr/ERROR:  model "s2f" on shard "s1" differs from the coordinator's \(loaded\)/, 'a model missing on a shard: refused');
is($coord->safe_psql('postgres', q{SELECT string_agg(shard || ' ' || model || ' ' || field || ' ' || coordinator || ' ' || on_shard, ', '
	ORDER BY shard, model, field) FROM shard_model_differences()}), 's1 blend loaded yes no, s1 s2f loaded yes no, s2 enet options {} {"palindromic": "skip"}',
	'every difference, each shard');

# Put right, the queries run again.
$s2->safe_psql('postgres', qq{SELECT load_model('enet', '$dir/enet.db', '{"replace": true}')});
$s1->safe_psql('postgres', qq{SET varformer.file_root = '$root';
SELECT load_model('s2f', 'build/generated/predictor/models/enformer_pt', '{"window": 1280, "allow_unphased": true}');
SELECT load_model('blend', NULL, '{"ensemble": {"enet": 0.5, "s2f": 2.0}, "intercept": 1.0}')});
is($coord->safe_psql('postgres', q{SELECT count(*) FROM shard_model_differences()}), '0', 'the models agree again');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM cohort_predict('ENSG00000900002', 'blend') r FULL JOIN r_blend b USING (sample)
	WHERE r.grex IS DISTINCT FROM b.grex}), '0', 'and the ensemble predicts as before');

$_->stop for values %node;
done_testing();
