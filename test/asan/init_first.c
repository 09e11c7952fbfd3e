/*
 * Preloaded (after the ASan runtime) into every process of `make check-asan`, so that the
 * runtime initialises before any other library constructor runs.
 *
 * Why: the PostgreSQL 15 server is not instrumented, so the runtime comes in by LD_PRELOAD
 * and, without this, initialises lazily on the first malloc. On Debian 12 that first malloc
 * happens inside libgpg-error's constructor, inside bindtextdomain(), which holds glibc's
 * _nl_state_lock for writing. ASan's initialisation ends with dlsym("swift_demangle")
 * followed by dlerror(), which translates its message through dcgettext(): that takes the
 * same lock for reading, fails (the thread already holds it), and then unlocks it anyway.
 * The lock's reader count goes negative and the server's own bindtextdomain() in main()
 * waits on it for ever (`postgres -V` hangs before printing anything).
 *
 * The fix is ordering: this object is linked with -z initfirst (DF_1_INITFIRST), which the
 * dynamic loader honours by running its constructor before every other object's, and the
 * constructor initialises the ASan runtime while no glibc lock is held. libasan's own
 * constructor later finds it initialised and does nothing.
 *
 * Built by test/instance.sh (VF_ASAN=1); not part of the library or the extension.
 */
void __asan_init(void);

__attribute__((constructor)) static void
asan_init_first(void)
{
	__asan_init();
}
