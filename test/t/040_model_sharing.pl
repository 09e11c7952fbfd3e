# Eight backends reading one ~200 MB model use one copy of the weights: together they add
# at most 10% of the weights' size in private memory, while each maps the whole image.
# Measured from /proc/<pid>/status (RssAnon: private, RssShmem: shared mappings touched).
#
# Each backend reads every weight with model_checksum(). When the engine is installed, each
# backend also runs the encoder's forward pass over the same model (encode_sequence, or
# encode_tokens on NT token ids), so the measure covers encoding, not only reading.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$FindBin::Bin/../..";
my $dir = PostgreSQL::Test::Utils::tempdir();
my $model = "$dir/share200";
system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', $model, '200') == 0
  or die "could not generate the 200 MB model";
my $expected_sum = slurp_file("$model.sum");
chomp $expected_sum;

my $node = PostgreSQL::Test::Cluster->new('sharing');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\nmax_connections = 30\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');
is($node->safe_psql('postgres', "SELECT load_model('share', '$model')"), 'loaded', 'model loaded');
my $bytes = $node->safe_psql('postgres', "SELECT bytes FROM models WHERE name = 'share'");
cmp_ok($bytes, '>', 190 * 1024 * 1024, "image is $bytes bytes");

my $encode = '';
if ($node->safe_psql('postgres', "SELECT to_regprocedure('encode_sequence(text,text)') IS NOT NULL") eq 't')
{
	$encode = "encode_sequence(repeat('ACGTTGCA', 64), 'share')";
}
elsif ($node->safe_psql('postgres', "SELECT to_regprocedure('encode_tokens(integer[],text)') IS NOT NULL") eq 't')
{
	# <cls> then 85 6-mer ids (the NT vocabulary: 6 specials, then 4096 6-mers)
	$encode = "encode_tokens(ARRAY[3] || ARRAY(SELECT 6 + (g * 37) % 4096 FROM generate_series(1, 85) g), 'share')";
}
note $encode ? "encoding with $encode" : 'no encoder installed: reading weights only';

# What a backend needs once to encode at all (the BLAS library, its buffers, code pages) is
# not memory the model adds: each backend first encodes with a small model of the same shape
# family, and the baseline is taken after that.
my $warm = '';
if ($encode)
{
	system('/usr/bin/python3', "$root/test/fixtures/models/make_models.py", '--sharing', "$dir/warm", '12') == 0
	  or die "could not generate the warm-up model";
	$node->safe_psql('postgres', "SELECT load_model('warm', '$dir/warm')");
	($warm = $encode) =~ s/'share'/'warm'/;
}

sub proc_kb
{
	my ($pid, $field) = @_;
	my $status = slurp_file("/proc/$pid/status");
	$status =~ /^$field:\s+(\d+) kB/m or die "no $field for pid $pid";
	return $1 * 1024;
}

my $n = 8;
my (@sessions, @pids, %before);
for my $i (1 .. $n)
{
	my $s = $node->background_psql('postgres');
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	$s->query_safe("SELECT dims($warm)") if $warm;
	push @sessions, $s;
	push @pids, $pid;
	$before{$pid} = { anon => proc_kb($pid, 'RssAnon'), shmem => proc_kb($pid, 'RssShmem') };
}

# All eight read the model at the same time.
my $query = "SELECT sum(model_checksum('share')) / 3"
  . ($encode ? ", bool_and(dims($encode) = 512)" : '')
  . " FROM generate_series(1, 3)";
for my $i (0 .. $n - 1)
{
	$sessions[$i]->{stdin} .= "$query;\n\\echo DONE$i\n";
}
for my $i (0 .. $n - 1)
{
	$sessions[$i]->{run}->pump until $sessions[$i]->{stdout} =~ /DONE$i/;
	my ($sum) = split /\n/, $sessions[$i]->{stdout};
	my ($value, $encoded) = split /\|/, $sum;
	is($value + 0, $expected_sum + 0, "backend $i read every weight (sum $value)");
	is($encoded, 't', "backend $i encoded with the shared model") if $encode;
	$sessions[$i]->{stdout} = '';
}

my ($private, $min_shared) = (0, undef);
for my $pid (@pids)
{
	my $anon = proc_kb($pid, 'RssAnon') - $before{$pid}{anon};
	my $shmem = proc_kb($pid, 'RssShmem') - $before{$pid}{shmem};
	note sprintf("backend %d: private +%.1f MB, shared mapped +%.1f MB", $pid, $anon / 1048576, $shmem / 1048576);
	$private += $anon;
	$min_shared = $shmem if !defined $min_shared || $shmem < $min_shared;
}
cmp_ok($min_shared, '>=', 0.95 * $bytes, 'every backend maps the whole shared image');
# Under make check-asan (VF_ASAN=1) each backend also keeps AddressSanitizer's shadow of what
# it read, one private byte per 8 bytes of the shared image: that is the sanitizer's, not ours.
my $shadow = ($ENV{VF_ASAN} // '') eq '1' ? scalar(@pids) * $bytes / 8 : 0;
my $ratio = ($bytes + $private - $shadow) / $bytes;
diag sprintf("8 backends: one shared copy %.1f MB + private growth %.1f MB in total%s = %.3f x the weights",
	$bytes / 1048576, $private / 1048576,
	$shadow ? sprintf(" (less ASan's shadow, %.1f MB)", $shadow / 1048576) : '', $ratio);
cmp_ok($ratio, '<=', 1.10, 'eight backends use at most 10% over one copy of the weights');

is($node->safe_psql('postgres', "SELECT backends >= $n FROM models WHERE name = 'share'"), 't',
	'the models view counts the attached backends');

$_->quit for @sessions;
$node->stop;
done_testing();
