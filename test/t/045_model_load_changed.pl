# A file rewritten while load_model reads it: the hashing thread reads the file's first
# bytes itself (while the shared memory segment is created) and the fill reads them again
# later, so a write in between must either fail the load ("changed while it was being
# loaded") or leave a model whose weights are those of the version its sha256 names; never
# the sha256 of one version over the weights of another.
#
# The file starts with a large F16 tensor (converted, so the check must be over the file's
# bytes, not the segment's) behind an odd-length header, so that where the thread stops
# reading usually cuts an element; one of its elements is flipped between 1.0 and 3.0 by a
# writer process every millisecond.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $path = "$dir/changed.safetensors";

my $n16 = 16 * 1024 * 1024;    # F16 elements of 1.0
my $n32 = 1024 * 1024;         # F32 elements of 1.0
my $header = sprintf('{"h": {"dtype": "F16", "shape": [%d], "data_offsets": [0, %d]}, '
	  . '"w": {"dtype": "F32", "shape": [%d], "data_offsets": [%d, %d]}}',
	$n16, 2 * $n16, $n32, 2 * $n16, 2 * $n16 + 4 * $n32);
$header .= ' ' if (8 + length $header) % 2 == 0;    # data starts at an odd offset
my $flip_at = 8 + length($header) + 2 * 100_000;    # element 100000 of h
my $content = pack('Q<', length $header) . $header . ("\x00\x3c" x $n16) . (pack('f<', 1.0) x $n32);
open(my $fh, '>:raw', $path) or die "could not write $path: $!";
print $fh $content;
close $fh;
my %versions = (
	sha256_hex($content) => $n16 + $n32,    # every weight 1.0
	sha256_hex(substr($content, 0, $flip_at) . "\x00\x42" . substr($content, $flip_at + 2))
	  => $n16 + $n32 + 2,                   # one 3.0
);

my $node = PostgreSQL::Test::Cluster->new('changed');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'varformer'\ndynamic_shared_memory_type = posix\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION varformer');

my $writer = fork() // die "fork: $!";
if ($writer == 0)
{
	open(my $w, '+<:raw', $path) or die "could not open $path: $!";
	for (my $i = 0;; $i++)
	{
		sysseek($w, $flip_at, 0);
		syswrite($w, $i % 2 ? "\x00\x3c" : "\x00\x42");
		usleep(1000);
	}
}

my ($refused, $loaded, $consistent) = (0, 0, 0);
for (my $i = 0; $i < 40 && ($refused < 3 || $loaded < 1); $i++)
{
	my ($out, $err);
	$node->psql('postgres', "SELECT load_model('chg', '$path')", stdout => \$out, stderr => \$err);
	if ($err =~ /\Q"$path" changed while it was being loaded\E/)
	{
		$refused++;
		next;
	}
	is($err, '', 'a load that is not refused works');
	$loaded++;
	my ($sha, $sum) = split /\|/,
	  $node->safe_psql('postgres', "SELECT sha256, model_checksum('chg') FROM models WHERE name = 'chg'");
	$consistent++ if defined $versions{$sha} && $versions{$sha} == $sum;
	$node->safe_psql('postgres', "SELECT unload_model('chg')");
}
kill 'KILL', $writer;
waitpid($writer, 0);

ok($refused >= 1, "loads that read two versions were refused ($refused)");
is($consistent, $loaded, "every load that was not refused has the weights its sha256 names ($loaded)");

# once the file is left alone, it loads
open($fh, '+<:raw', $path) or die "could not open $path: $!";
sysseek($fh, $flip_at, 0);
syswrite($fh, "\x00\x3c");
close $fh;
is($node->safe_psql('postgres', "SELECT load_model('chg', '$path')"), 'loaded', 'the file loads once it is left alone');
is($node->safe_psql('postgres', "SELECT sha256 || ' ' || model_checksum('chg') FROM models WHERE name = 'chg'"),
	sha256_hex($content) . ' ' . ($n16 + $n32), 'with its sha256 and weights');

$node->stop;
done_testing();
