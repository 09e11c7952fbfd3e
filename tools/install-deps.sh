#!/usr/bin/env bash
# Installs the Debian 12 packages varformer needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Needs root or sudo.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  postgresql-15 postgresql-server-dev-15   # server to test against, PGXS headers
  libopenblas-dev libhts-dev libsqlite3-dev # engine, genomics, PredictDB
  libipc-run-perl                           # TAP tests (PostgreSQL::Test::Cluster)
  bcftools tabix samtools plink2 sqlite3    # independent tools the parity tests run live
  python3 python3-torch python3-numpy       # PyTorch reference implementations
  gnuplot-nox bc                            # make demo: the picture, timings
  libfftw3-dev                              # make bench only: varformer's own FFT measured against FFTW
  clang libclang-rt-14-dev                  # libFuzzer harnesses (test/checks/70_fuzz_replay.sh): clang and its
                                            # fuzzer/ASan/UBSan runtimes, only Recommended by clang on Debian 12
  postgresql-15-plproxy                     # make bench only: PL/Proxy measured against postgres_fdw (test/bench/90_shard.sh)
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a default cluster with postgresql-15; our tests run their own instance.
