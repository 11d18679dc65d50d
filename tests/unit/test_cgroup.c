/* The cgroup backends against the real kernel (root only).
 *
 * Whichever layout mc_cgroup_detect() finds is the one tested: cgroup1 on
 * a hybrid host, cgroup2 in the VM suite.  Everything lives under
 * minictr-unit-<pid>, created below this process's own cgroups (a relative
 * parent), so the only processes ever moved are the children forked here,
 * and they stay inside whatever cgroup this test was started in.  Every
 * test's teardown kills its child by PID, destroys the cgroups and the
 * last test removes the parent; the group teardown removes it again in
 * case that test failed.  */
#include "tests/unit/unit.h"
#include "runtime/cgroup/cgroup.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_TOUCH (8u << 20) /* memory the child dirties once inside */

static char parent[64];
static char nested[80];
static char undo[80];
static enum mc_cgroup_layout layout;

struct fixture
{
  struct mc_cgroup *cg;
  struct mc_cgroup *extra; /* a second cgroup some tests make */
  pid_t child;
  int go_fd;                   /* a byte here lets the child start */
  volatile uint64_t *counter;  /* the child counts here, in shared memory */
};

/* ---- helpers ------------------------------------------------------------ */

/* The error of the last failing call made with &cerr.  check_ok() frees it
 * before failing: mc_make_error() keeps the first error, so a stale one
 * would hide every later message.  */
static mc_error_t cerr;

#define check_ok(call)                                                  \
  do                                                                    \
    {                                                                   \
      if ((call) < 0)                                                   \
        {                                                               \
          char m_[1024];                                                \
          snprintf (m_, sizeof (m_), "%s", cerr ? cerr->msg : "?");     \
          mc_error_release (&cerr);                                     \
          fail_msg ("%s: %s", #call, m_);                               \
        }                                                               \
    }                                                                   \
  while (0)

static void
msleep (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  nanosleep (&ts, NULL);
}

static bool
exists (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0;
}

static bool existsf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static bool
existsf (const char *fmt, ...)
{
  cleanup_free char *path = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&path, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return exists (path);
}

/* DIR/FILE without its trailing newline, errors in cerr.  */
static int
read_in (const char *dir, const char *file, char **out)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);

  if (mc_read_file_at (AT_FDCWD, path, 65536, out, NULL, &cerr) < 0)
    return -1;
  (*out)[strcspn (*out, "\n")] = '\0';
  return 0;
}

/* Write VALUE to DIR/FILE, errors in cerr.  */
static int
write_in (const char *dir, const char *file, const char *value)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || mc_write_all (fd, value, strlen (value)) < 0)
    return mc_make_error (&cerr, errno, "write `%s`", path);
  return 0;
}

/* Where the cgroup2 hierarchy is: /sys/fs/cgroup, or the hybrid one.  */
static const char *
unified_mount (void)
{
  struct statfs sfs;

  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return "/sys/fs/cgroup";
  return "/sys/fs/cgroup/unified";
}

/* The child waits to be moved before touching memory: on cgroup1, memory
 * is charged to the cgroup it is first touched in and charges stay behind
 * when a task moves.  Then it counts, slowly, until killed.  */
static void __attribute__ ((noreturn))
child_main (int go, volatile uint64_t *counter)
{
  volatile char *mem;
  char c;

  /* Never outlive the test, even if it is killed.  */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (read (go, &c, 1) != 1)
    _exit (1);
  mem = malloc (CHILD_TOUCH);
  if (mem == NULL)
    _exit (1);
  for (size_t i = 0; i < CHILD_TOUCH; i += 4096)
    mem[i] = 1;
  for (;;)
    {
      (*counter)++;
      msleep (1);
    }
}

/* Move the child in and let it go; wait until it has counted a little,
 * so it has touched its memory and is running inside the cgroup.  */
static void
start_child (struct fixture *f)
{
  check_ok (mc_cgroup_enter (f->cg, f->child, &cerr));
  assert_int_equal (write (f->go_fd, "x", 1), 1);
  for (int i = 0; i < 500 && *f->counter < 20; i++)
    msleep (10);
  assert_true (*f->counter >= 20);
}

/* Our own cgroup path in the hierarchy with CONTROLLER ("" = cgroup2),
 * from /proc/PID/cgroup; malloc'ed, NULL when not listed.  */
static char *
cgroup_of (pid_t pid, const char *controller)
{
  cleanup_free char *path = xasprintf ("/proc/%d/cgroup", (int) pid);
  cleanup_file FILE *fp = fopen (path, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  assert_non_null (fp);
  while (getline (&line, &cap, fp) > 0)
    {
      char *ctrls = strchr (line, ':') + 1;
      char *p = strchr (ctrls, ':');

      *p++ = '\0';
      p[strcspn (p, "\n")] = '\0';
      if (strcmp (ctrls, controller) == 0)
        return xstrdup (p);
    }
  return NULL;
}

/* The cgroup's path in the hierarchy PIDs are read from.  */
static const char *
main_path (struct mc_cgroup *cg)
{
  const char *p = mc_cgroup_path (cg, layout == MC_CGROUP_V2 ? "" : "pids");

  assert_non_null (p);
  return p;
}

static const char *const v1_hierarchies[] = {
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
  "pids", "systemd", "",
};

/* ---- fixture ------------------------------------------------------------ */

static int
group_setup (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  snprintf (parent, sizeof (parent), "minictr-unit-%d", (int) getpid ());
  snprintf (nested, sizeof (nested), "%s/nest", parent);
  snprintf (undo, sizeof (undo), "%s/undo", parent);
  if (geteuid () != 0)
    return 0;
  if (mc_cgroup_detect (&layout, &err) < 0)
    {
      fprintf (stderr, "detect: %s\n", err->msg);
      mc_error_release (&err);
      return -1;
    }
  return 0;
}

/* Runs even when a test failed.  Removes nothing it did not create.  */
static int
group_teardown (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  if (geteuid () != 0)
    return 0;
  if (mc_cgroup_remove_parent (nested, &err) < 0
      || mc_cgroup_remove_parent (undo, &err) < 0
      || mc_cgroup_remove_parent (parent, &err) < 0)
    {
      fprintf (stderr, "remove parent: %s\n", err->msg);
      mc_error_release (&err);
      return -1;
    }
  return 0;
}

static void
fixture_free (struct fixture *f)
{
  if (f->go_fd >= 0)
    close (f->go_fd);
  if (f->counter)
    munmap ((void *) f->counter, sizeof (*f->counter));
  free (f);
}

static pid_t
spawn_child (struct fixture *f)
{
  int fds[2];
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      close (fds[1]);
      child_main (fds[0], f->counter);
    }
  close (fds[0]);
  f->go_fd = fds[1];
  return pid;
}

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));
  mc_error_t err = NULL;

  *state = NULL;
  f->go_fd = -1;
  if (geteuid () != 0)
    {
      fixture_free (f);
      return 0;
    }
  f->counter = mmap (NULL, sizeof (*f->counter), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (f->counter == MAP_FAILED || (f->child = spawn_child (f)) < 0
      || mc_cgroup_create (parent, "c1", &f->cg, &err) < 0)
    {
      fprintf (stderr, "setup: %s\n", err ? err->msg : strerror (errno));
      mc_error_release (&err);
      if (f->counter == MAP_FAILED)
        f->counter = NULL;
      if (f->child > 0)
        kill (f->child, SIGKILL), waitpid (f->child, NULL, 0);
      fixture_free (f);
      return -1;
    }
  *state = f;
  return 0;
}

static int
destroy_one (struct mc_cgroup *cg)
{
  mc_error_t err = NULL;

  if (cg == NULL)
    return 0;
  /* A failed test may leave it frozen; rmdir waits for the dead child,
   * which only dies once thawed.  Gone already is fine.  */
  (void) mc_cgroup_freeze (cg, false, &err);
  mc_error_release (&err);
  if (mc_cgroup_destroy (cg, &err) < 0)
    {
      fprintf (stderr, "teardown: %s\n", err->msg);
      mc_error_release (&err);
      return -1;
    }
  mc_cgroup_free (cg);
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  int ret = 0;

  if (f == NULL)
    return 0;
  if (f->child > 0)
    kill (f->child, SIGKILL);
  if (destroy_one (f->extra) < 0 || destroy_one (f->cg) < 0)
    ret = -1;
  if (f->child > 0)
    waitpid (f->child, NULL, 0);
  fixture_free (f);
  return ret;
}

static struct fixture *
fixture (void **state)
{
  if (*state == NULL)
    skip (); /* not root */
  return *state;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_detect (void **state)
{
  struct fixture *f = fixture (state);
  struct statfs sfs;
  bool v2 = statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;

  print_message ("# layout: %s\n", mc_cgroup_layout_name (layout));
  if (v2)
    assert_int_equal (layout, MC_CGROUP_V2);
  assert_int_equal (mc_cgroup_layout (f->cg), layout);
  assert_string_equal (mc_cgroup_layout_name (MC_CGROUP_V2), "cgroup2");
  assert_string_equal (mc_cgroup_layout_name (MC_CGROUP_V1), "cgroup1");
}

/* A relative parent goes below our own cgroup in every hierarchy, never
 * at the root of one we were placed in by someone else.  */
static void
test_placement (void **state)
{
  struct fixture *f = fixture (state);
  bool v2 = layout == MC_CGROUP_V2;
  const char *ctrl = v2 ? "" : "memory";
  cleanup_free char *own = cgroup_of (getpid (), ctrl);
  cleanup_free char *want = NULL;

  assert_non_null (own);
  want = xasprintf ("%s%s/%s/c1", v2 ? unified_mount () : "/sys/fs/cgroup/memory",
                    strcmp (own, "/") ? own : "", parent);
  print_message ("# %s cgroup: %s\n", v2 ? "cgroup2" : "memory", mc_cgroup_path (f->cg, ctrl));
  assert_string_equal (mc_cgroup_path (f->cg, ctrl), want);
}

static void
test_create_v1 (struct fixture *f)
{
  cleanup_free char *cpus = NULL;
  cleanup_free char *mems = NULL;

  for (size_t i = 0; i < sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0]); i++)
    {
      cleanup_free char *mnt = xasprintf ("/sys/fs/cgroup/%s", *v1_hierarchies[i] ? v1_hierarchies[i] : "unified");
      const char *p = mc_cgroup_path (f->cg, v1_hierarchies[i]);

      if (!exists (mnt))
        continue; /* not mounted on this host */
      assert_non_null (p);
      assert_true (mc_str_has_prefix (p, mnt));
      assert_true (exists (p));
    }
  /* A cpuset cgroup without cpus and mems accepts no task.  */
  check_ok (mc_cgroup_read (f->cg, "cpuset.cpus", &cpus, &cerr));
  check_ok (mc_cgroup_read (f->cg, "cpuset.mems", &mems, &cerr));
  print_message ("# cpuset.cpus %s, cpuset.mems %s\n", cpus, mems);
  assert_true (*cpus != '\0');
  assert_true (*mems != '\0');
}

/* The parent we created hands down everything it was given; the
 * container's own cgroup distributes nothing (it holds processes).  */
static void
test_create_v2 (struct fixture *f)
{
  cleanup_free char *dir = xstrdup (main_path (f->cg));
  cleanup_free char *avail = NULL, *sub = NULL;
  cleanup_free char *p_avail = NULL, *p_enabled = NULL;

  check_ok (mc_cgroup_read (f->cg, "cgroup.controllers", &avail, &cerr));
  check_ok (mc_cgroup_read (f->cg, "cgroup.subtree_control", &sub, &cerr));
  print_message ("# c1 cgroup.controllers: %s\n", avail);
  assert_string_equal (sub, "");
  /* The VM delegates these; the limits and stats need them.  */
  assert_true (existsf ("%s/memory.max", dir));
  assert_true (existsf ("%s/pids.max", dir));
  assert_true (existsf ("%s/cgroup.freeze", dir));
  *strrchr (dir, '/') = '\0';
  check_ok (read_in (dir, "cgroup.controllers", &p_avail));
  check_ok (read_in (dir, "cgroup.subtree_control", &p_enabled));
  assert_string_equal (p_avail, p_enabled);
}

static void
test_create (void **state)
{
  struct fixture *f = fixture (state);

  if (layout == MC_CGROUP_V1)
    test_create_v1 (f);
  else
    test_create_v2 (f);
}

static void
test_enter_pids (void **state)
{
  struct fixture *f = fixture (state);
  cleanup_free pid_t *pids = NULL;
  cleanup_free char *own = NULL;
  cleanup_free char *mine = NULL;
  size_t n = 0;

  start_child (f);
  check_ok (mc_cgroup_pids (f->cg, &pids, &n, &cerr));
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], f->child);
  /* And the kernel agrees, in the hierarchy the pids come from.  */
  own = cgroup_of (f->child, layout == MC_CGROUP_V2 ? "" : "pids");
  mine = xasprintf ("/%s/c1", parent);
  assert_non_null (own);
  assert_true (strlen (own) >= strlen (mine));
  assert_string_equal (own + strlen (own) - strlen (mine), mine);
}

static uint64_t
counter_after (struct fixture *f, long ms)
{
  msleep (ms);
  return *f->counter;
}

static void
test_freeze (void **state)
{
  struct fixture *f = fixture (state);
  cleanup_free char *st = NULL;
  bool frozen = false;
  uint64_t before;

  start_child (f);
  check_ok (mc_cgroup_freeze (f->cg, true, &cerr));
  check_ok (mc_cgroup_frozen (f->cg, &frozen, &cerr));
  assert_true (frozen);
  if (layout == MC_CGROUP_V1)
    {
      check_ok (mc_cgroup_read (f->cg, "freezer.state", &st, &cerr));
      assert_string_equal (st, "FROZEN");
    }
  else
    {
      check_ok (mc_cgroup_read (f->cg, "cgroup.events", &st, &cerr));
      assert_non_null (strstr (st, "frozen 1"));
    }
  /* Frozen for real: the child's counter stands still.  */
  before = *f->counter;
  assert_int_equal (counter_after (f, 300), before);
  check_ok (mc_cgroup_freeze (f->cg, false, &cerr));
  check_ok (mc_cgroup_frozen (f->cg, &frozen, &cerr));
  assert_false (frozen);
  assert_true (counter_after (f, 300) > before);
}

static void
test_stats (void **state)
{
  struct fixture *f = fixture (state);
  struct mc_cgroup_stats st;

  start_child (f);
  check_ok (mc_cgroup_stats (f->cg, &st, &cerr));
  print_message ("# memory %" PRIu64 " peak %" PRIu64 " cpu %" PRIu64 "ns pids %" PRIu64 "\n",
                 st.memory_current, st.memory_peak, st.cpu_usage_ns, st.pids_current);
  /* The child dirtied CHILD_TOUCH after it moved in.  */
  assert_true (st.memory_current >= CHILD_TOUCH / 2);
  assert_int_equal (st.pids_current, 1);
  assert_true (st.cpu_usage_ns > 0);
  if (layout == MC_CGROUP_V1)
    assert_true (st.has_memory_peak);
  if (st.has_memory_peak)
    assert_true (st.memory_peak >= st.memory_current);
}

static void
test_write_read (void **state)
{
  struct fixture *f = fixture (state);
  const char *file = layout == MC_CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes";
  cleanup_free char *v = NULL;
  mc_error_t err = NULL;
  char *junk = NULL;

  check_ok (mc_cgroup_write (f->cg, file, "67108864", &cerr));
  check_ok (mc_cgroup_read (f->cg, file, &v, &cerr));
  assert_string_equal (v, "67108864");

  assert_int_equal (mc_cgroup_write (f->cg, "../cgroup.procs", "1", &err), -1);
  assert_int_equal (err->status, EINVAL);
  assert_error_contains (err, "invalid cgroup file");
  assert_int_equal (mc_cgroup_read (f->cg, "nosuch.file", &junk, &err), -1);
  assert_int_equal (err->status, ENOENT);
  assert_error_contains (err, "nosuch");
  /* The error names the file, absolute.  */
  assert_int_equal (mc_cgroup_write (f->cg, "cgroup.procs", "999999999", &err), -1);
  assert_error_contains (err, "/c1/cgroup.procs`");
}

static void
test_kill (void **state)
{
  struct fixture *f = fixture (state);
  cleanup_free pid_t *pids = NULL;
  size_t n = 1;
  bool frozen = true;
  int status = 0;

  start_child (f);
  /* Returns with the child dead but not reaped: a zombie is not in the
   * cgroup any more.  */
  check_ok (mc_cgroup_kill (f->cg, &cerr));
  check_ok (mc_cgroup_pids (f->cg, &pids, &n, &cerr));
  assert_int_equal (n, 0);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = 0;
  assert_true (WIFSIGNALED (status));
  assert_int_equal (WTERMSIG (status), SIGKILL);
  check_ok (mc_cgroup_frozen (f->cg, &frozen, &cerr));
  assert_false (frozen);
  /* Killing an empty cgroup is fine.  */
  check_ok (mc_cgroup_kill (f->cg, &cerr));
}

/* In use: EEXIST, and the failed create removed nothing of the live one.
 * Empty: reused.  */
static void
test_exists (void **state)
{
  struct fixture *f = fixture (state);
  struct mc_cgroup *again = NULL;
  cleanup_free pid_t *pids = NULL;
  mc_error_t err = NULL;
  size_t n = 0;

  start_child (f);
  assert_int_equal (mc_cgroup_create (parent, "c1", &again, &err), -1);
  assert_int_equal (err->status, EEXIST);
  assert_error_contains (err, "in use");
  check_ok (mc_cgroup_pids (f->cg, &pids, &n, &cerr));
  assert_int_equal (n, 1);
  assert_true (exists (main_path (f->cg)));

  check_ok (mc_cgroup_kill (f->cg, &cerr));
  check_ok (mc_cgroup_create (parent, "c1", &again, &cerr));
  assert_string_equal (main_path (again), main_path (f->cg));
  mc_cgroup_free (again);
}

static void
expect_einval (const char *p, const char *name)
{
  struct mc_cgroup *cg = NULL;
  mc_error_t err = NULL;

  assert_int_equal (mc_cgroup_create (p, name, &cg, &err), -1);
  assert_null (cg);
  assert_int_equal (err->status, EINVAL);
  mc_error_release (&err);
}

static void
test_invalid (void **state)
{
  (void) fixture (state);
  expect_einval (parent, "..");
  expect_einval (parent, ".");
  expect_einval (parent, "");
  expect_einval (parent, "a/b");
  expect_einval ("", "c9");
  expect_einval ("/", "c9");
  expect_einval ("../x", "c9");
  expect_einval ("a//b", "c9");
  expect_einval ("a/", "c9");
  expect_einval ("a/../b", "c9");
}

static void
test_open (void **state)
{
  struct fixture *f = fixture (state);
  struct mc_cgroup *cg = NULL;
  mc_error_t err = NULL;

  check_ok (mc_cgroup_open (parent, "c1", &cg, &cerr));
  assert_string_equal (main_path (cg), main_path (f->cg));
  mc_cgroup_free (cg);
  cg = NULL;
  assert_int_equal (mc_cgroup_open (parent, "nosuch", &cg, &err), -1);
  assert_null (cg);
  assert_int_equal (err->status, ENOENT);
  assert_error_contains (err, "/nosuch`");
}

static void
test_destroy (void **state)
{
  struct fixture *f = fixture (state);
  const char *paths[16] = { NULL };
  size_t n = 0, i;
  struct mc_cgroup *cg = NULL;
  mc_error_t err = NULL;

  for (i = 0; i < sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0]); i++)
    {
      const char *p = mc_cgroup_path (f->cg, v1_hierarchies[i]);

      if (p && (n == 0 || strcmp (paths[n - 1], p) != 0))
        paths[n++] = xstrdup (p);
    }
  assert_true (n >= 1);
  start_child (f);
  /* A cgroup the container made for itself, as systemd inside would.  */
  for (i = 0; i < n; i++)
    {
      cleanup_free char *sub = xasprintf ("%s/sub", paths[i]);
      assert_int_equal (mkdir (sub, 0755), 0);
    }
  check_ok (mc_cgroup_kill (f->cg, &cerr));
  check_ok (mc_cgroup_destroy (f->cg, &cerr));
  for (i = 0; i < n; i++)
    {
      if (exists (paths[i]))
        fail_msg ("`%s` still exists", paths[i]);
      free ((char *) paths[i]);
    }
  /* Gone is gone: again is fine, open says ENOENT.  */
  check_ok (mc_cgroup_destroy (f->cg, &cerr));
  assert_int_equal (mc_cgroup_open (parent, "c1", &cg, &err), -1);
  assert_int_equal (err->status, ENOENT);
  mc_error_release (&err);
}

/* A create that fails half-way removes the levels it made and nothing
 * else: here the new PARENT level "undo", when the leaf's mkdir fails
 * after it.  (kernfs takes names past NAME_MAX; PATH_MAX it cannot.)  */
static void
test_rollback_parent (void **state)
{
  struct fixture *f = fixture (state);
  cleanup_free char *longname = xmalloc (PATH_MAX + 2);
  mc_error_t err = NULL;

  memset (longname, 'x', PATH_MAX + 1);
  longname[PATH_MAX + 1] = '\0';
  /* Into the fixture, so that teardown removes it if it does get made. */
  assert_int_equal (mc_cgroup_create (undo, longname, &f->extra, &err), -1);
  assert_int_equal (err->status, ENAMETOOLONG);
  assert_error_contains (err, "mkdir");
  assert_null (f->extra);
  for (size_t i = 0; i < sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0]); i++)
    {
      const char *p = mc_cgroup_path (f->cg, v1_hierarchies[i]);
      cleanup_free char *top = p ? xstrdup (p) : NULL;

      if (top == NULL)
        continue;
      *strrchr (top, '/') = '\0';
      if (existsf ("%s/undo", top))
        fail_msg ("`%s/undo` was left behind", top);
      assert_true (exists (p));
    }
}

/* cgroup1: NAME in use in one hierarchy only (the child moved by hand
 * into freezer/c3, a cgroup of ours).  The create made c3 in the other
 * hierarchies first and must take all of them back.  */
static void
test_rollback_leaf (void **state)
{
  struct fixture *f = fixture (state);
  struct mc_cgroup *cg = NULL;
  mc_error_t err = NULL;
  cleanup_free char *frz = NULL;
  char pid[32];

  if (layout != MC_CGROUP_V1)
    {
      print_message ("# cgroup1 only: cgroup2 has a single hierarchy\n");
      return;
    }
  frz = xstrdup (mc_cgroup_path (f->cg, "freezer"));
  strcpy (strrchr (frz, '/'), "/c3");
  assert_int_equal (mkdir (frz, 0755), 0);
  check_ok (mc_cgroup_open (parent, "c3", &f->extra, &cerr)); /* teardown removes it */
  snprintf (pid, sizeof (pid), "%d", (int) f->child);
  check_ok (write_in (frz, "cgroup.procs", pid));
  assert_int_equal (mc_cgroup_create (parent, "c3", &cg, &err), -1);
  assert_int_equal (err->status, EEXIST);
  assert_error_contains (err, "/freezer/");
  for (size_t i = 0; i < sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0]); i++)
    {
      const char *path = mc_cgroup_path (f->extra, v1_hierarchies[i]);

      if (path && strcmp (path, frz) != 0 && exists (path))
        fail_msg ("`%s` was left behind", path);
    }
  assert_true (exists (frz));
}

/* PARENT "a/b": both levels made (on cgroup2 the new middle level hands
 * its controllers down).  remove_parent leaves a parent still in use and
 * only ever removes its last component.  */
static void
test_nested_parent (void **state)
{
  struct fixture *f = fixture (state);
  cleanup_free char *top = xstrdup (main_path (f->cg));
  cleanup_free char *nest = NULL;

  *strrchr (top, '/') = '\0';
  nest = xasprintf ("%s/nest", top);
  check_ok (mc_cgroup_create (nested, "c2", &f->extra, &cerr));
  assert_true (exists (main_path (f->extra)));
  if (layout == MC_CGROUP_V2)
    assert_true (existsf ("%s/memory.max", main_path (f->extra)));
  check_ok (mc_cgroup_remove_parent (nested, &cerr)); /* busy: stays */
  assert_true (exists (nest));
  check_ok (mc_cgroup_destroy (f->extra, &cerr));
  mc_cgroup_free (f->extra);
  f->extra = NULL;
  check_ok (mc_cgroup_remove_parent (nested, &cerr));
  assert_false (exists (nest));
  assert_true (exists (top));
}

/* Last: the parent goes away with the last container, everywhere.  */
static void
test_remove_parent (void **state)
{
  struct fixture *f = fixture (state);
  char *dirs[16];
  size_t n = 0, i;

  for (i = 0; i < sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0]); i++)
    {
      const char *p = mc_cgroup_path (f->cg, v1_hierarchies[i]);

      if (p && n < 16)
        {
          dirs[n] = xstrdup (p);
          *strrchr (dirs[n++], '/') = '\0';
        }
    }
  assert_true (n >= 1);
  check_ok (mc_cgroup_destroy (f->cg, &cerr));
  check_ok (mc_cgroup_remove_parent (parent, &cerr));
  for (i = 0; i < n; i++)
    {
      bool gone = !exists (dirs[i]);

      if (!gone)
        print_message ("# `%s` still exists\n", dirs[i]);
      free (dirs[i]);
      assert_true (gone);
    }
  /* Missing already: fine.  */
  check_ok (mc_cgroup_remove_parent (parent, &cerr));
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, setup, teardown)
  const struct CMUnitTest tests[] = {
    T (test_detect),   T (test_placement), T (test_create),
    T (test_enter_pids), T (test_freeze),  T (test_stats),
    T (test_write_read), T (test_kill),    T (test_exists),
    T (test_invalid),  T (test_open),      T (test_destroy),
    T (test_rollback_parent), T (test_rollback_leaf),
    T (test_nested_parent), T (test_remove_parent),
  };

  return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
