# Sourced by test/run.sh: a private PostgreSQL 15 installation and instance under build/.
#
# Why a private copy: the extension is installed into build/tmp_install (a relocated copy
# of the server plus `make install DESTDIR=`), so `make check` never writes into the
# system's PostgreSQL and several checkouts can be tested side by side.
# Why a separate user: initdb and postgres refuse to run as root.

VF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VF_BUILD=$VF_ROOT/build
VF_INSTALL=$VF_BUILD/tmp_install
PG_SYS_BIN=/usr/lib/postgresql/15/bin
VF_BIN=$VF_INSTALL/usr/lib/postgresql/15/bin
VF_RUN=$VF_BUILD/run
VF_DATA=$VF_RUN/data
VF_SOCK=$VF_RUN/sock
VF_PORT=5432                 # unix socket only, in a private directory: no clash
VF_TEST_USER=varformer_test
VF_GENERATED=$VF_BUILD/generated
PYTHON=/usr/bin/python3      # Debian's python3-torch lives in the system interpreter
export VF_ROOT VF_BUILD VF_BIN VF_DATA VF_GENERATED PYTHON

# VF_ASAN=1 (make check-asan): the extension is instrumented, the server binary is not, so
# every server (this instance's and the TAP tests' clusters) and every client the tests run
# start with the ASan runtime preloaded, followed by test/asan/init_first.c (built here), which
# makes the runtime initialise before any other library constructor: without it Debian 12's
# postgres hangs before main() (the file says why). Leak detection is off (a backend's memory
# contexts are freed at exit, not piecewise); reports go to files under $VF_ASAN_LOGS, which
# the run counts. A machine where even this does not start postgres skips the run, saying so.
VF_SANITIZER_ENV=()
if [ "${VF_ASAN:-0}" = 1 ]; then
  VF_ASAN_LOGS=$VF_BUILD/asan-reports
  mkdir -p "$VF_ASAN_LOGS"; chmod 1777 "$VF_ASAN_LOGS"
  vf_asan_rt=$(gcc -print-file-name=libasan.so)
  gcc -shared -fPIC -Wl,-z,initfirst -o "$VF_BUILD/asan_init_first.so" "$VF_ROOT/test/asan/init_first.c" \
      -L"$(dirname "$vf_asan_rt")" -lasan || { echo "building test/asan/init_first.c failed"; exit 1; }
  VF_SANITIZER_ENV=(VF_ASAN=1 LD_PRELOAD="$vf_asan_rt:$VF_BUILD/asan_init_first.so"
    ASAN_OPTIONS="detect_leaks=0:log_path=$VF_ASAN_LOGS/asan"
    UBSAN_OPTIONS="print_stacktrace=1:log_path=$VF_ASAN_LOGS/ubsan")
  if ! timeout 30 env "${VF_SANITIZER_ENV[@]}" "$PG_SYS_BIN/postgres" -V >/dev/null 2>&1; then
    echo "SKIP postgres with the ASan runtime preloaded (${VF_SANITIZER_ENV[1]}) does not start on this machine"
    exit 77
  fi
fi

# as_test_user CMD...: run CMD as the unprivileged owner of the instance.
if [ "$(id -u)" -eq 0 ]; then
  VF_OS_USER=$VF_TEST_USER
  as_test_user() { runuser -u "$VF_TEST_USER" -- env PATH="$PATH" "$@"; }
else
  VF_OS_USER=$(id -un)
  as_test_user() { "$@"; }
fi

vf_make_install() {
  rm -rf "$VF_INSTALL"
  mkdir -p "$VF_INSTALL/usr/lib/postgresql" "$VF_INSTALL/usr/share/postgresql"
  cp -a /usr/lib/postgresql/15 "$VF_INSTALL/usr/lib/postgresql/"
  cp -a /usr/share/postgresql/15 "$VF_INSTALL/usr/share/postgresql/"
  make -s -C "$VF_ROOT" install DESTDIR="$VF_INSTALL" >/dev/null
  # make install writes to the absolute system paths under DESTDIR: same layout as the copy.
}

vf_test_user() {
  if [ "$(id -u)" -eq 0 ] && ! id "$VF_TEST_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$VF_TEST_USER"
  fi
}

# vf_start: initdb + start with varformer preloaded. Tests reach their input files through
# varformer.file_root (set by each test to the checkout), not through the data directory.
vf_start() {
  rm -rf "$VF_RUN"
  mkdir -p "$VF_RUN" "$VF_SOCK"
  [ "$(id -u)" -eq 0 ] && chown -R "$VF_TEST_USER" "$VF_RUN"
  as_test_user "$VF_BIN/initdb" -D "$VF_DATA" -A trust -U "$VF_OS_USER" -E UTF8 --locale=C -N >"$VF_RUN/initdb.log" 2>&1 \
    || { cat "$VF_RUN/initdb.log"; return 1; }
  cat >>"$VF_DATA/postgresql.conf" <<CONF
shared_preload_libraries = 'varformer'
listen_addresses = ''
unix_socket_directories = '$VF_SOCK'
port = $VF_PORT
fsync = off
max_worker_processes = 16
max_parallel_workers = 8
dynamic_shared_memory_type = posix
lc_messages = 'C'
CONF
  [ -f "$VF_ROOT/test/postgresql.conf" ] && cat "$VF_ROOT/test/postgresql.conf" >>"$VF_DATA/postgresql.conf"
  as_test_user env "${VF_SANITIZER_ENV[@]}" "$VF_BIN/pg_ctl" -D "$VF_DATA" -l "$VF_RUN/server.log" -w start >/dev/null \
    || { cat "$VF_RUN/server.log"; return 1; }
  export PGHOST=$VF_SOCK PGPORT=$VF_PORT PGUSER=$VF_OS_USER PGDATABASE=postgres
}

vf_stop() {
  [ -f "$VF_DATA/postmaster.pid" ] && as_test_user "$VF_BIN/pg_ctl" -D "$VF_DATA" -m fast -w stop >/dev/null 2>&1
  return 0
}
