/* runtime/security.c: the seccomp filter, the privileged capability drop
 * and the masked/read-only paths.  Runs as root on the host; everything
 * that changes process state happens in a forked child, and everything
 * that mounts happens in the child's private mount namespace, so the
 * host's mounts are never touched (each mask test checks that afterwards).
 *
 * Telling a filtered syscall from a missing one: a kernel built without
 * kexec or modules (like the test VM's) answers ENOSYS by itself, which
 * is what the filter answers too.  So every seccomp case runs under a
 * "sentinel" filter installed first, which hands those syscalls to a
 * supervisor (SECCOMP_RET_USER_NOTIF, 5.0) that answers SENTINEL.  An
 * ERRNO action takes precedence over USER_NOTIF, so ENOSYS proves the
 * default filter caught the call, and each case has a control without
 * the default filter that must see SENTINEL.  */
#include "tests/unit/unit.h"
#include "runtime/security.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Exit status of a child that failed a check; its message comes over a
 * pipe.  Above every errno, below 256.  */
#define CHILD_FAILED 250
/* What the sentinel supervisor answers: an errno no kernel path in these
 * tests returns.  */
#define SENTINEL ENOTUNIQ

/* ==== running checks in a child ====================================== */

static int fail_fd = -1;

static void child_fail (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2), noreturn));

static void
child_fail (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vdprintf (fail_fd, fmt, ap);
  va_end (ap);
  _exit (CHILD_FAILED);
}

#define child_check(cond, ...)         \
  do                                   \
    {                                  \
      if (!(cond))                     \
        child_fail (__VA_ARGS__);      \
    }                                  \
  while (0)

typedef int (*child_fn) (const void *arg);

/* Wait for PID; a signal or CHILD_FAILED is reported as a child failure. */
static int
child_status (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      child_fail ("waitpid: %s", strerror (errno));
  if (WIFSIGNALED (status))
    child_fail ("child killed by signal %d", WTERMSIG (status));
  return WEXITSTATUS (status);
}

/* cmocka catches these to fail the running test and go on with the next
 * one: in a forked child that would run the rest of the suite a second
 * time.  A child dies of them instead, and its parent says so.  */
static void
default_fatal_signals (void)
{
  static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT };
  size_t i;

  for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    signal (sigs[i], SIG_DFL);
}

/* Fork, run FN in the child, return its exit status.  Fails the cmocka
 * test with the child's message when it called child_fail() or died. */
static int
run_child (child_fn fn, const void *arg)
{
  char msg[1024] = "";
  int p[2], status;
  ssize_t n, len = 0;
  pid_t pid;

  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  fflush (NULL);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      fail_fd = p[1];
      default_fatal_signals ();
      _exit (fn (arg) & 0xff);
    }
  close (p[1]);
  while ((n = read (p[0], msg + len, sizeof (msg) - 1 - (size_t) len)) > 0)
    len += n;
  msg[len] = '\0';
  close (p[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (WIFSIGNALED (status))
    fail_msg ("child killed by signal %d %s", WTERMSIG (status), msg);
  if (WEXITSTATUS (status) == CHILD_FAILED)
    fail_msg ("%s", msg);
  return WEXITSTATUS (status);
}

/* ==== the sentinel filter ============================================ */

static const int sentinel_syscalls[] = {
  SCMP_SYS (kexec_load),   SCMP_SYS (kexec_file_load),
  SCMP_SYS (open_by_handle_at), SCMP_SYS (init_module),
  SCMP_SYS (finit_module), SCMP_SYS (delete_module),
};

static int
load_sentinel_filter (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  size_t i;
  int fd;

  child_check (ctx != NULL, "seccomp_init");
  /* No no_new_privs: the tests check the default filter leaves it off. */
  child_check (seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0) == 0, "NNP");
#ifdef __x86_64__
  child_check (seccomp_arch_add (ctx, SCMP_ARCH_X86) == 0, "arch x86");
#endif
  for (i = 0; i < N_ELEMENTS (sentinel_syscalls); i++)
    child_check (seccomp_rule_add (ctx, SCMP_ACT_NOTIFY, sentinel_syscalls[i],
                                   0) == 0, "sentinel rule %zu", i);
  child_check (seccomp_load (ctx) == 0, "load the sentinel filter");
  fd = seccomp_notify_fd (ctx);
  child_check (fd >= 0, "seccomp_notify_fd");
  seccomp_release (ctx);
  return fd;
}

static void
answer_one (int notify_fd, struct seccomp_notif *req,
            struct seccomp_notif_resp *resp)
{
  memset (req, 0, sizeof (*req));
  if (seccomp_notify_receive (notify_fd, req) < 0)
    return; /* the caller died meanwhile */
  memset (resp, 0, sizeof (*resp));
  resp->id = req->id;
  resp->error = -SENTINEL;
  seccomp_notify_respond (notify_fd, resp);
}

/* Answer SENTINEL to every notification until PID exits.  */
static int
supervise (int notify_fd, pid_t pid)
{
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  int pidfd = mc_sys_pidfd_open (pid, 0);

  child_check (pidfd >= 0, "pidfd_open: %s", strerror (errno));
  child_check (seccomp_notify_alloc (&req, &resp) == 0, "notify_alloc");
  for (;;)
    {
      struct pollfd fds[2] = { { notify_fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };

      if (poll (fds, 2, -1) < 0 && errno != EINTR)
        child_fail ("poll: %s", strerror (errno));
      if (fds[0].revents & POLLIN)
        answer_one (notify_fd, req, resp);
      else if (fds[1].revents & POLLIN)
        break;
    }
  seccomp_notify_free (req, resp);
  close (pidfd);
  return child_status (pid);
}

struct sentinel_run
{
  child_fn fn;
  const void *arg;
};

static int
sentinel_child (const void *arg)
{
  const struct sentinel_run *run = arg;
  int notify_fd = load_sentinel_filter ();
  pid_t pid = fork ();

  child_check (pid >= 0, "fork: %s", strerror (errno));
  if (pid == 0)
    {
      close (notify_fd);
      _exit (run->fn (run->arg) & 0xff);
    }
  return supervise (notify_fd, pid);
}

/* run_child, with FN under the sentinel filter.  */
static int
run_sentinel (child_fn fn, const void *arg)
{
  struct sentinel_run run = { fn, arg };
  return run_child (sentinel_child, &run);
}

/* ==== seccomp: raw syscalls ========================================== */

enum call
{
  CALL_KEXEC_LOAD,
  CALL_KEXEC_FILE_LOAD,
  CALL_OPEN_BY_HANDLE_AT,
  CALL_INIT_MODULE,
  CALL_FINIT_MODULE,
  CALL_DELETE_MODULE,
  CALL_UMOUNT2_FORCE,
  CALL_UMOUNT2_FORCE_DETACH,
  CALL_UMOUNT2,
  CALL_GETPID,
};

/* Arguments the kernel rejects before doing anything (see
 * tests/probe/syscall-probe.c), so a broken filter harms nothing.  */
static long
make_call (enum call c)
{
  switch (c)
    {
    case CALL_KEXEC_LOAD:
      return syscall (SYS_kexec_load, 0UL, ~0UL, NULL, 0UL);
    case CALL_KEXEC_FILE_LOAD:
      return syscall (SYS_kexec_file_load, -1, -1, 0UL, NULL, 1UL << 30);
    case CALL_OPEN_BY_HANDLE_AT:
      return syscall (SYS_open_by_handle_at, -1, NULL, O_RDONLY);
    case CALL_INIT_MODULE:
      return syscall (SYS_init_module, NULL, 0UL, "");
    case CALL_FINIT_MODULE:
      return syscall (SYS_finit_module, -1, "", 0);
    case CALL_DELETE_MODULE:
      return syscall (SYS_delete_module, "minictr_no_such_module", O_NONBLOCK);
    case CALL_UMOUNT2_FORCE:
      return syscall (SYS_umount2, "/nonexistent-path", MNT_FORCE);
    case CALL_UMOUNT2_FORCE_DETACH:
      return syscall (SYS_umount2, "/nonexistent-path", MNT_FORCE | MNT_DETACH);
    case CALL_UMOUNT2:
      return syscall (SYS_umount2, "/nonexistent-path", 0);
    case CALL_GETPID:
      return syscall (SYS_getpid);
    }
  return -1;
}

struct call_case
{
  enum call call;
  bool filter; /* apply mc_seccomp_apply_default first */
};

static void
apply_default_or_die (void)
{
  mc_error_t err = NULL;

  if (mc_seccomp_apply_default (&err) < 0)
    child_fail ("mc_seccomp_apply_default: %s", err->msg);
}

/* Exit status: the errno of the call, 0 on success.  */
static int
call_child (const void *arg)
{
  const struct call_case *c = arg;
  long ret;

  if (c->filter)
    apply_default_or_die ();
  errno = 0;
  ret = make_call (c->call);
  if (c->call == CALL_GETPID)
    child_check (ret == getpid (), "getpid gave %ld", ret);
  return ret < 0 ? errno : 0;
}

static int
call_errno (enum call call, bool filter)
{
  struct call_case c = { call, filter };
  return run_sentinel (call_child, &c);
}

static void
test_seccomp_enosys (void **state)
{
  static const enum call calls[] = {
    CALL_KEXEC_LOAD,  CALL_KEXEC_FILE_LOAD, CALL_OPEN_BY_HANDLE_AT,
    CALL_INIT_MODULE, CALL_FINIT_MODULE,    CALL_DELETE_MODULE,
  };
  size_t i;

  (void) state;
  for (i = 0; i < N_ELEMENTS (calls); i++)
    {
      /* Control: without the filter the call reaches the sentinel.  */
      assert_int_equal (call_errno (calls[i], false), SENTINEL);
      assert_int_equal (call_errno (calls[i], true), ENOSYS);
    }
}

/* umount2 of a missing path: the kernel looks the path up before any
 * permission check (ksys_umount -> user_path_at), so ENOENT; only the
 * unknown-flag check (EINVAL) comes earlier, and 0 / MNT_FORCE are known
 * flags.  */
static void
test_seccomp_umount2 (void **state)
{
  (void) state;
  assert_int_equal (call_errno (CALL_UMOUNT2_FORCE, false), ENOENT);
  assert_int_equal (call_errno (CALL_UMOUNT2_FORCE, true),
                    MC_SECCOMP_FORCE_UMOUNT_ERRNO);
  assert_int_equal (MC_SECCOMP_FORCE_UMOUNT_ERRNO, EACCES);
  assert_int_equal (call_errno (CALL_UMOUNT2_FORCE_DETACH, true), EACCES);
  assert_int_equal (call_errno (CALL_UMOUNT2, true), ENOENT);
}

static void
test_seccomp_allows_the_rest (void **state)
{
  (void) state;
  assert_int_equal (call_errno (CALL_GETPID, true), 0);
}

/* Leaves no_new_privs off (setuid programs keep working) and is a real
 * filter on this task.  */
static int
nnp_child (const void *arg)
{
  cleanup_free char *status = NULL;
  mc_error_t err = NULL;

  (void) arg;
  apply_default_or_die ();
  child_check (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0,
               "no_new_privs got set");
  child_check (prctl (PR_GET_SECCOMP, 0, 0, 0, 0) == 2,
               "PR_GET_SECCOMP is not 2 (filter)");
  child_check (mc_read_file_at (AT_FDCWD, "/proc/self/status", 1 << 20,
                                &status, NULL, &err) == 0, "read status");
  child_check (strstr (status, "\nNoNewPrivs:\t0\n") != NULL,
               "status says NoNewPrivs is set");
  return 0;
}

static void
test_seccomp_no_nnp (void **state)
{
  (void) state;
  assert_int_equal (run_sentinel (nnp_child, NULL), 0);
}

/* TSYNC: a thread that exists before the filter is loaded gets it too. */
struct tsync
{
  int go[2];
  int result;
};

static void *
tsync_thread (void *arg)
{
  struct tsync *t = arg;
  char c;

  if (read (t->go[0], &c, 1) != 1)
    return NULL;
  errno = 0;
  t->result = make_call (CALL_INIT_MODULE) < 0 ? errno : 0;
  return NULL;
}

static int
tsync_child (const void *arg)
{
  const bool *filter = arg;
  struct tsync t = { { -1, -1 }, -1 };
  pthread_t th;

  child_check (pipe (t.go) == 0, "pipe");
  child_check (pthread_create (&th, NULL, tsync_thread, &t) == 0, "thread");
  if (*filter)
    apply_default_or_die ();
  child_check (write (t.go[1], "x", 1) == 1, "write");
  pthread_join (th, NULL);
  return t.result;
}

static void
test_seccomp_tsync (void **state)
{
  bool no = false, yes = true;

  (void) state;
  assert_int_equal (run_sentinel (tsync_child, &no), SENTINEL);
  assert_int_equal (run_sentinel (tsync_child, &yes), ENOSYS);
}

/* Without no_new_privs the kernel wants CAP_SYS_ADMIN in the current user
 * namespace.  In a fresh user namespace the process has it (as the init
 * of an unprivileged container does); without it loading fails with
 * EACCES, and the error says why.  */
static void
drop_effective (cap_value_t cap)
{
  cap_t caps = cap_get_proc ();

  child_check (caps != NULL, "cap_get_proc");
  child_check (cap_set_flag (caps, CAP_EFFECTIVE, 1, &cap, CAP_CLEAR) == 0,
               "cap_set_flag");
  child_check (cap_set_proc (caps) == 0, "cap_set_proc: %s", strerror (errno));
  cap_free (caps);
}

static int
userns_load_child (const void *arg)
{
  (void) arg;
  child_check (unshare (CLONE_NEWUSER) == 0, "unshare: %s", strerror (errno));
  apply_default_or_die ();
  errno = 0;
  return make_call (CALL_INIT_MODULE) < 0 ? errno : 0;
}

static int
no_sys_admin_child (const void *arg)
{
  mc_error_t err = NULL;

  (void) arg;
  drop_effective (CAP_SYS_ADMIN);
  child_check (mc_seccomp_apply_default (&err) == -1, "loaded anyway");
  child_check (err != NULL && err->status == EACCES, "status %d",
               err ? err->status : -1);
  child_check (strstr (err->msg, "CAP_SYS_ADMIN") != NULL, "msg `%s`",
               err->msg);
  mc_error_release (&err);
  return 0;
}

static void
test_seccomp_privilege (void **state)
{
  (void) state;
  assert_int_equal (run_sentinel (userns_load_child, NULL), ENOSYS);
  assert_int_equal (run_child (no_sys_admin_child, NULL), 0);
}

/* ---- the i386 ABI through int $0x80 (x86_64 only) --------------------- */
#ifdef __x86_64__
# define I386_GETPID 20
# define I386_UMOUNT2 52
# define I386_INIT_MODULE 128

/* The kernel zeroes r8-r11 on this path.  */
static long
int80 (long nr, long a1, long a2, long a3)
{
  long ret;
  __asm__ volatile ("int $0x80"
                    : "=a"(ret)
                    : "a"(nr), "b"(a1), "c"(a2), "d"(a3)
                    : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

struct compat_case
{
  long nr;
  long a2;
  bool filter;
};

/* Arguments are 32-bit on this ABI: the path goes in a MAP_32BIT page. */
static int
compat_child (const void *arg)
{
  const struct compat_case *c = arg;
  char *low = mmap (NULL, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  long ret;

  child_check (low != MAP_FAILED, "mmap: %s", strerror (errno));
  strcpy (low, "/nonexistent-path");
  if (c->filter)
    apply_default_or_die ();
  ret = int80 (c->nr, c->nr == I386_UMOUNT2 ? (long) (uintptr_t) low : 0,
               c->a2, 0);
  if (c->nr == I386_GETPID)
    child_check (ret == getpid (), "i386 getpid gave %ld", ret);
  return ret < 0 && ret > -4096 ? (int) -ret : 0;
}

static int
compat_errno (long nr, long a2, bool filter)
{
  struct compat_case c = { nr, a2, filter };
  return run_sentinel (compat_child, &c);
}

/* The signal that ends a child making the i386 call NR (under the default
 * filter with FILTER), 0 when it returns.  */
static int
compat_signal (long nr, bool filter)
{
  int status;
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      fail_fd = STDERR_FILENO;
      default_fatal_signals ();
      if (filter)
        apply_default_or_die ();
      (void) int80 (nr, 0, 0, 0);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  return WIFSIGNALED (status) ? WTERMSIG (status) : 0;
}

static void
test_seccomp_compat_i386 (void **state)
{
  (void) state;
  /* A kernel without the i386 ABI (ia32_emulation=0 on its command line,
   * or CONFIG_IA32_EMULATION_DEFAULT_DISABLED, or a hypervisor's choice)
   * answers int $0x80 with SIGSEGV: then no container reaches the kernel
   * that way, with the filter or without it, and that is what is
   * checked.  */
  if (compat_signal (I386_GETPID, false) == SIGSEGV)
    {
      print_message ("# this kernel has no i386 ABI: int $0x80 ends in SIGSEGV\n");
      assert_int_equal (compat_signal (I386_INIT_MODULE, true), SIGSEGV);
      assert_int_equal (compat_signal (I386_UMOUNT2, true), SIGSEGV);
      return;
    }
  assert_int_equal (compat_errno (I386_GETPID, 0, false), 0);
  assert_int_equal (compat_errno (I386_INIT_MODULE, 0, false), SENTINEL);
  assert_int_equal (compat_errno (I386_INIT_MODULE, 0, true), ENOSYS);
  assert_int_equal (compat_errno (I386_UMOUNT2, MNT_FORCE, false), ENOENT);
  assert_int_equal (compat_errno (I386_UMOUNT2, MNT_FORCE, true), EACCES);
  assert_int_equal (compat_errno (I386_UMOUNT2, 0, true), ENOENT);
  assert_int_equal (compat_errno (I386_GETPID, 0, true), 0);
}
#endif

/* ---- the static probe, exec'd under the filter ----------------------- */

/* $MINICTR_SYSCALL_PROBE, else syscall-probe next to this test binary
 * (the Makefile builds both into $(BUILDDIR)/tests/).  */
static char *
probe_path (void)
{
  char self[PATH_MAX];
  const char *env = getenv ("MINICTR_SYSCALL_PROBE");
  ssize_t n;
  char *slash;

  if (env != NULL && *env != '\0')
    return xstrdup (env);
  n = readlink ("/proc/self/exe", self, sizeof (self) - 1);
  if (n < 0)
    return NULL;
  self[n] = '\0';
  slash = strrchr (self, '/');
  if (slash == NULL)
    return NULL;
  *slash = '\0';
  return xasprintf ("%s/syscall-probe", self);
}

struct probe_case
{
  const char *probe;
  const char *name;
  bool filter;
};

static int
probe_child (const void *arg)
{
  const struct probe_case *c = arg;
  int devnull = open ("/dev/null", O_WRONLY);

  child_check (devnull >= 0, "open /dev/null");
  dup2 (devnull, STDOUT_FILENO);
  dup2 (devnull, STDERR_FILENO);
  if (c->filter)
    apply_default_or_die ();
  execl (c->probe, c->probe, c->name, (char *) NULL);
  child_fail ("exec %s: %s", c->probe, strerror (errno));
}

static int
probe_status (const char *probe, const char *name, bool filter)
{
  struct probe_case c = { probe, name, filter };
  return run_sentinel (probe_child, &c);
}

static void
test_seccomp_probe (void **state)
{
  static const char *const enosys[] = { "kexec_load", "kexec_file_load",
                                        "open_by_handle_at", "init_module",
                                        "finit_module", "delete_module" };
  cleanup_free char *probe = probe_path ();
  size_t i;

  (void) state;
  if (probe == NULL || access (probe, X_OK) != 0)
    {
      print_message ("syscall-probe not found at %s (set "
                     "MINICTR_SYSCALL_PROBE)\n", probe ? probe : "?");
      skip ();
    }
  assert_int_equal (probe_status (probe, "init_module", false), SENTINEL);
  assert_int_equal (probe_status (probe, "init_module", true), ENOSYS);
  for (i = 0; i < N_ELEMENTS (enosys); i++)
    assert_int_equal (probe_status (probe, enosys[i], true), ENOSYS);
  assert_int_equal (probe_status (probe, "umount2-force", false), ENOENT);
  assert_int_equal (probe_status (probe, "umount2-force", true), EACCES);
  assert_int_equal (probe_status (probe, "umount2", true), ENOENT);
  assert_int_equal (probe_status (probe, "getpid", true), 0);
  assert_int_equal (probe_status (probe, "no-such-call", true), 125);
}

/* ==== capabilities =================================================== */

static const cap_value_t dropped_caps[] = {
  CAP_SYS_TIME, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE,
};

static bool
cap_is_set (cap_value_t cap, cap_flag_t set)
{
  cap_t caps = cap_get_proc ();
  cap_flag_value_t v = CAP_CLEAR;

  child_check (caps != NULL, "cap_get_proc");
  child_check (cap_get_flag (caps, cap, set, &v) == 0, "cap_get_flag");
  cap_free (caps);
  return v == CAP_SET;
}

/* CAP_SYS_TIME and CAP_NET_ADMIN into the inheritable and ambient sets, so
 * the test sees the ambient drop happen and spare the others.  */
static void
raise_ambient (void)
{
  cap_value_t raise[] = { CAP_SYS_TIME, CAP_NET_ADMIN };
  cap_t caps = cap_get_proc ();
  size_t i;

  child_check (caps != NULL, "cap_get_proc");
  child_check (cap_set_flag (caps, CAP_INHERITABLE, 2, raise, CAP_SET) == 0,
               "cap_set_flag");
  child_check (cap_set_proc (caps) == 0, "cap_set_proc: %s", strerror (errno));
  cap_free (caps);
  for (i = 0; i < N_ELEMENTS (raise); i++)
    child_check (cap_set_ambient (raise[i], CAP_SET) == 0
                 && cap_get_ambient (raise[i]) == 1, "raise ambient %d",
                 raise[i]);
}

static void
check_dropped (cap_value_t cap)
{
  child_check (prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 0,
               "cap %d still in the bounding set", cap);
  child_check (!cap_is_set (cap, CAP_EFFECTIVE), "cap %d effective", cap);
  child_check (!cap_is_set (cap, CAP_PERMITTED), "cap %d permitted", cap);
  child_check (!cap_is_set (cap, CAP_INHERITABLE), "cap %d inheritable", cap);
  child_check (cap_get_ambient (cap) == 0, "cap %d ambient", cap);
}

static int
caps_child (const void *arg)
{
  mc_error_t err = NULL;
  size_t i;

  (void) arg;
  /* Control: settimeofday(NULL, NULL) only checks CAP_SYS_TIME.  */
  child_check (syscall (SYS_settimeofday, NULL, NULL) == 0,
               "settimeofday before the drop: %s", strerror (errno));
  raise_ambient ();
  if (mc_caps_drop_default (&err) < 0)
    child_fail ("mc_caps_drop_default: %s", err->msg);
  for (i = 0; i < N_ELEMENTS (dropped_caps); i++)
    check_dropped (dropped_caps[i]);
  child_check (prctl (PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1,
               "CAP_SYS_ADMIN left the bounding set");
  child_check (cap_is_set (CAP_SYS_ADMIN, CAP_EFFECTIVE), "SYS_ADMIN gone");
  child_check (cap_get_ambient (CAP_NET_ADMIN) == 1, "NET_ADMIN ambient gone");
  child_check (syscall (SYS_settimeofday, NULL, NULL) == -1 && errno == EPERM,
               "settimeofday after the drop: %s", strerror (errno));
  /* Idempotent: a second drop finds nothing to do and succeeds.  */
  child_check (mc_caps_drop_default (&err) == 0, "second drop failed");
  return 0;
}

static void
test_caps_drop (void **state)
{
  (void) state;
  assert_int_equal (run_child (caps_child, NULL), 0);
}

/* Without CAP_SETPCAP the bounding set cannot shrink: a clear error.  */
static int
caps_no_setpcap_child (const void *arg)
{
  mc_error_t err = NULL;

  (void) arg;
  drop_effective (CAP_SETPCAP);
  child_check (mc_caps_drop_default (&err) == -1, "dropped anyway");
  child_check (err->status == EPERM, "status %d", err->status);
  child_check (strstr (err->msg, "drop CAP_SYS_TIME from the bounding set")
               != NULL, "msg `%s`", err->msg);
  mc_error_release (&err);
  return 0;
}

static void
test_caps_drop_needs_setpcap (void **state)
{
  (void) state;
  assert_int_equal (run_child (caps_no_setpcap_child, NULL), 0);
}

/* ==== masked and read-only paths ===================================== */

static const char *const masked_files[] = {
  "/proc/kcore",         "/proc/keys",       "/proc/latency_stats",
  "/proc/timer_list",    "/proc/timer_stats", "/proc/sched_debug",
};
static const char *const masked_dirs[] = {
  "/proc/acpi", "/proc/asound", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Syscalls to force to ENOSYS, to run the fallbacks on a new kernel (as
 * crun's tests/no_openat2.c does).  */
enum
{
  FORCE_OPENAT2 = 1 << 0,       /* kernels before 5.6 */
  FORCE_MOUNT_SETATTR = 1 << 1, /* 5.2 to 5.11 */
  FORCE_NEW_MOUNT_API = 1 << 2, /* before 5.2 */
};

static void
force_enosys (unsigned force)
{
  static const struct
  {
    unsigned bit;
    int nr;
  } map[] = {
    { FORCE_OPENAT2, SCMP_SYS (openat2) },
    { FORCE_MOUNT_SETATTR, SCMP_SYS (mount_setattr) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (open_tree) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (move_mount) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (fsopen) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (fsconfig) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (fsmount) },
    { FORCE_NEW_MOUNT_API, SCMP_SYS (mount_setattr) },
  };
  scmp_filter_ctx ctx;
  size_t i;

  if (force == 0)
    return;
  ctx = seccomp_init (SCMP_ACT_ALLOW);
  child_check (ctx != NULL, "seccomp_init");
  child_check (seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0) == 0, "NNP");
  for (i = 0; i < N_ELEMENTS (map); i++)
    if (force & map[i].bit)
      child_check (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), map[i].nr,
                                     0) == 0, "rule %zu", i);
  child_check (seccomp_load (ctx) == 0, "load the ENOSYS filter");
  seccomp_release (ctx);
}

static void
write_file (const char *path, const char *s)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  child_check (fd >= 0, "open %s: %s", path, strerror (errno));
  child_check (write (fd, s, strlen (s)) == (ssize_t) strlen (s),
               "write %s: %s", path, strerror (errno));
  close (fd);
}

/* The situation of an unprivileged container: /proc carries
 * nosuid,nodev,noexec from a more privileged namespace, so those flags
 * are locked in a new user namespace, and a bind remount that drops them
 * fails with EPERM.  Root keeps uid 0 through a one-line map.  */
static void
enter_locked_userns (void)
{
  child_check (mount (NULL, "/proc", NULL, MS_BIND | MS_REMOUNT | MS_NOSUID
                      | MS_NODEV | MS_NOEXEC | MS_RELATIME, NULL) == 0,
               "remount /proc nosuid,nodev,noexec: %s", strerror (errno));
  child_check (unshare (CLONE_NEWUSER | CLONE_NEWNS) == 0,
               "unshare user+mnt: %s", strerror (errno));
  write_file ("/proc/self/setgroups", "deny");
  write_file ("/proc/self/uid_map", "0 0 1");
  write_file ("/proc/self/gid_map", "0 0 1");
}

/* A private mount namespace (and UTS namespace, so even a broken
 * read-only /proc/sys could not reach the host's hostname).  */
static void
enter_private_ns (void)
{
  child_check (unshare (CLONE_NEWNS | CLONE_NEWUTS) == 0, "unshare: %s",
               strerror (errno));
  child_check (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
               "make / rprivate: %s", strerror (errno));
}

static bool
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

static unsigned long
vfs_flags (const char *path)
{
  struct statvfs st;

  child_check (statvfs (path, &st) == 0, "statvfs %s: %s", path,
               strerror (errno));
  return st.f_flag;
}

static void
check_masked_file (const char *path)
{
  char buf[64];
  struct stat st;
  int fd;

  child_check (stat (path, &st) == 0, "stat %s", path);
  child_check (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3),
               "%s is not /dev/null", path);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  child_check (fd >= 0, "open %s: %s", path, strerror (errno));
  child_check (read (fd, buf, sizeof (buf)) == 0, "%s is not empty", path);
  close (fd);
}

static void
check_masked_dir (const char *path)
{
  struct dirent *de;
  struct statfs sfs;
  DIR *d = opendir (path);

  child_check (d != NULL, "opendir %s: %s", path, strerror (errno));
  while ((de = readdir (d)) != NULL)
    child_check (strcmp (de->d_name, ".") == 0
                 || strcmp (de->d_name, "..") == 0,
                 "%s lists `%s`", path, de->d_name);
  closedir (d);
  child_check (statfs (path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC,
               "%s is not a tmpfs", path);
  child_check (vfs_flags (path) & ST_RDONLY, "%s is writable", path);
}

static void
check_readonly (const char *path, bool locked)
{
  unsigned long f = vfs_flags (path);
  unsigned long want = ST_NOSUID | ST_NODEV | ST_NOEXEC;

  child_check (f & ST_RDONLY, "%s is not read-only", path);
  if (locked)
    child_check ((f & want) == want, "%s lost nosuid/nodev/noexec", path);
}

/* Only opening for writing: nothing is ever written to /proc/sys.  */
static void
check_hostname_erofs (void)
{
  int fd = open ("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);

  if (fd >= 0)
    close (fd);
  child_check (fd < 0 && errno == EROFS,
               "open /proc/sys/kernel/hostname for writing: %s",
               fd >= 0 ? "succeeded" : strerror (errno));
}

/* The rest of /proc and /sys stays as it was: the fallback must not have
 * remounted the whole /proc read-only.  */
static void
check_rest_writable (void)
{
  int fd = open ("/proc/self/comm", O_WRONLY | O_CLOEXEC);

  child_check (fd >= 0, "open /proc/self/comm for writing: %s",
               strerror (errno));
  close (fd);
  child_check (!(vfs_flags ("/proc") & ST_RDONLY), "/proc became read-only");
  child_check (!(vfs_flags ("/sys") & ST_RDONLY), "/sys became read-only");
}

struct mask_case
{
  unsigned force;
  bool userns;
};

/* Which masked paths exist on this host, before masking.  */
struct present
{
  bool files[N_ELEMENTS (masked_files)];
  bool dirs[N_ELEMENTS (masked_dirs)];
  bool ro[N_ELEMENTS (readonly_paths)];
};

static void
survey (struct present *p)
{
  size_t i;

  for (i = 0; i < N_ELEMENTS (masked_files); i++)
    p->files[i] = exists (masked_files[i]);
  for (i = 0; i < N_ELEMENTS (masked_dirs); i++)
    p->dirs[i] = exists (masked_dirs[i]);
  for (i = 0; i < N_ELEMENTS (readonly_paths); i++)
    p->ro[i] = exists (readonly_paths[i]);
}

/* Each existing path is masked, each missing one still missing.  At
 * least one file, one directory and /proc/sys must exist, or the test
 * would prove nothing.  */
static void
check_view (const struct present *p, bool locked)
{
  size_t i, nfiles = 0, ndirs = 0;

  for (i = 0; i < N_ELEMENTS (masked_files); i++)
    {
      if (!p->files[i])
        {
          child_check (!exists (masked_files[i]), "%s appeared",
                       masked_files[i]);
          continue;
        }
      check_masked_file (masked_files[i]);
      nfiles++;
    }
  for (i = 0; i < N_ELEMENTS (masked_dirs); i++)
    {
      if (!p->dirs[i])
        {
          child_check (!exists (masked_dirs[i]), "%s appeared",
                       masked_dirs[i]);
          continue;
        }
      check_masked_dir (masked_dirs[i]);
      ndirs++;
    }
  for (i = 0; i < N_ELEMENTS (readonly_paths); i++)
    if (p->ro[i])
      check_readonly (readonly_paths[i], locked);
  child_check (nfiles > 0 && ndirs > 0, "no masked path exists on this host");
  check_hostname_erofs ();
  check_rest_writable ();
}

static int
mask_child (const void *arg)
{
  const struct mask_case *c = arg;
  mc_error_t err = NULL;
  struct present p;

  enter_private_ns ();
  survey (&p);
  child_check (p.ro[3], "/proc/sys is missing");
  if (c->userns)
    enter_locked_userns ();
  force_enosys (c->force);
  if (mc_mask_paths (true, &err) < 0)
    child_fail ("mc_mask_paths: %s", err->msg);
  check_view (&p, c->userns);
  return 0;
}

/* In the test's own namespace: no mount at any of the paths, /proc/sys
 * writable, /sys/firmware still listing.  Mounts elsewhere may come and
 * go (other suites run concurrently), so only our paths are compared. */
static void
assert_host_untouched (void)
{
  static const char *const ours[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap", "/proc/bus", "/proc/fs", "/proc/irq",
    "/proc/sys", "/proc/sysrq-trigger",
  };
  cleanup_free char *mountinfo = NULL;
  mc_error_t err = NULL;
  struct statvfs st;
  size_t i;
  DIR *d;

  assert_int_equal (mc_read_file_at (AT_FDCWD, "/proc/self/mountinfo",
                                     1 << 24, &mountinfo, NULL, &err), 0);
  for (i = 0; i < N_ELEMENTS (ours); i++)
    {
      cleanup_free char *needle = xasprintf (" %s ", ours[i]);
      if (strstr (mountinfo, needle) != NULL)
        fail_msg ("a mount at %s leaked to the host namespace", ours[i]);
    }
  assert_int_equal (statvfs ("/proc/sys", &st), 0);
  assert_false (st.f_flag & ST_RDONLY);
  d = opendir ("/sys/firmware");
  assert_non_null (d);
  assert_non_null (readdir (d)); /* "." at least; the tmpfs is gone */
  closedir (d);
}

static void
run_mask_case (unsigned force, bool userns)
{
  struct mask_case c = { force, userns };

  assert_int_equal (run_child (mask_child, &c), 0);
  assert_host_untouched ();
}

static void
test_mask_paths (void **state)
{
  (void) state;
  run_mask_case (0, false);
}

static void
test_mask_paths_no_openat2 (void **state)
{
  (void) state;
  run_mask_case (FORCE_OPENAT2, false);
}

static void
test_mask_paths_no_mount_setattr (void **state)
{
  (void) state;
  run_mask_case (FORCE_MOUNT_SETATTR, false);
}

static void
test_mask_paths_old_kernel (void **state)
{
  (void) state;
  run_mask_case (FORCE_OPENAT2 | FORCE_NEW_MOUNT_API, false);
}

static void
test_mask_paths_userns (void **state)
{
  (void) state;
  run_mask_case (0, true);
}

/* The fallback remount must keep the locked flags or fail with EPERM.  */
static void
test_mask_paths_userns_old_kernel (void **state)
{
  (void) state;
  run_mask_case (FORCE_OPENAT2 | FORCE_NEW_MOUNT_API, true);
}

/* ---- refusals ------------------------------------------------------- */

struct refusal
{
  unsigned force;
  bool intermediate; /* the symlink is a directory on the way */
};

/* A tmpfs over /sys/devices (private namespace) with a symlink where the
 * powercap path goes: resolving it must fail with ELOOP, not follow.  */
static int
symlink_child (const void *arg)
{
  const struct refusal *r = arg;
  mc_error_t err = NULL;

  enter_private_ns ();
  child_check (mount ("tmpfs", "/sys/devices", "tmpfs", 0, NULL) == 0,
               "tmpfs on /sys/devices: %s", strerror (errno));
  if (r->intermediate)
    child_check (symlink ("/tmp", "/sys/devices/virtual") == 0, "symlink");
  else
    child_check (mkdir ("/sys/devices/virtual", 0755) == 0
                 && symlink ("/tmp", "/sys/devices/virtual/powercap") == 0,
                 "symlink");
  force_enosys (r->force);
  child_check (mc_mask_paths (true, &err) == -1, "followed the symlink");
  child_check (err->status == ELOOP, "status %d: %s", err->status, err->msg);
  child_check (strstr (err->msg, "open `/sys/devices/virtual/powercap`")
               != NULL, "msg `%s`", err->msg);
  mc_error_release (&err);
  return 0;
}

static void
test_mask_paths_refuses_symlinks (void **state)
{
  static const struct refusal cases[] = {
    { 0, false },
    { 0, true },
    { FORCE_OPENAT2, false },
    { FORCE_OPENAT2, true },
  };
  size_t i;

  (void) state;
  for (i = 0; i < N_ELEMENTS (cases); i++)
    {
      assert_int_equal (run_child (symlink_child, &cases[i]), 0);
      assert_host_untouched ();
    }
}

static void
expect_fake_null_refused (void)
{
  mc_error_t err = NULL;

  child_check (mc_mask_paths (true, &err) == -1, "used a fake /dev/null");
  child_check (strstr (err->msg, "`/dev/null` is not the null device") != NULL,
               "msg `%s`", err->msg);
  mc_error_release (&err);
}

/* A missing /dev/null is an error, and a regular file or another device
 * in its place (reads of /dev/zero are not empty) is refused.  */
static int
fake_null_child (const void *arg)
{
  mc_error_t err = NULL;

  (void) arg;
  enter_private_ns ();
  child_check (mount ("tmpfs", "/dev", "tmpfs", 0, NULL) == 0,
               "tmpfs on /dev: %s", strerror (errno));
  child_check (mc_mask_paths (true, &err) == -1, "no /dev/null, yet succeeded");
  child_check (err->status == ENOENT
               && strstr (err->msg, "open `/dev/null`") != NULL,
               "msg `%s`", err->msg);
  mc_error_release (&err);
  close (open ("/dev/null", O_WRONLY | O_CREAT | O_CLOEXEC, 0666));
  expect_fake_null_refused ();
  child_check (unlink ("/dev/null") == 0
               && mknod ("/dev/null", S_IFCHR | 0666, makedev (1, 5)) == 0,
               "mknod /dev/null as /dev/zero: %s", strerror (errno));
  expect_fake_null_refused ();
  return 0;
}

static void
test_mask_paths_checks_dev_null (void **state)
{
  (void) state;
  assert_int_equal (run_child (fake_null_child, NULL), 0);
  assert_host_untouched ();
}

static void
test_needs_root (void **state)
{
  (void) state;
  print_message ("test_security needs root\n");
  skip ();
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_seccomp_enosys),
    cmocka_unit_test (test_seccomp_umount2),
    cmocka_unit_test (test_seccomp_allows_the_rest),
    cmocka_unit_test (test_seccomp_no_nnp),
    cmocka_unit_test (test_seccomp_tsync),
    cmocka_unit_test (test_seccomp_privilege),
#ifdef __x86_64__
    cmocka_unit_test (test_seccomp_compat_i386),
#endif
    cmocka_unit_test (test_seccomp_probe),
    cmocka_unit_test (test_caps_drop),
    cmocka_unit_test (test_caps_drop_needs_setpcap),
    cmocka_unit_test (test_mask_paths),
    cmocka_unit_test (test_mask_paths_no_openat2),
    cmocka_unit_test (test_mask_paths_no_mount_setattr),
    cmocka_unit_test (test_mask_paths_old_kernel),
    cmocka_unit_test (test_mask_paths_userns),
    cmocka_unit_test (test_mask_paths_userns_old_kernel),
    cmocka_unit_test (test_mask_paths_refuses_symlinks),
    cmocka_unit_test (test_mask_paths_checks_dev_null),
  };

  const struct CMUnitTest not_root[] = {
    cmocka_unit_test (test_needs_root),
  };

  /* A visible skip, which CI=true turns into a failure.  */
  if (geteuid () != 0)
    return cmocka_run_group_tests (not_root, NULL, NULL);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
