/* Container cgroups: layout detection, the hierarchy table, dispatch to
 * the cgroup2 / cgroup1 backends, and what both share.  See cgroup.h for
 * the contract and cgroup-internal.h for the split.  */
#include "runtime/cgroup/cgroup-internal.h"
#include "lib/syscalls.h"
#include "lib/testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#define CG_ROOT "/sys/fs/cgroup"
/* How long freeze and kill wait for the kernel, and how long rmdir keeps
 * retrying EBUSY while killed tasks finish exiting.  */
#define CG_WAIT_MS 5000
#define CG_RMDIR_MS 2000
#define CG_POLL_MS 10
/* A freeze not done after this many naps (250 ms) is asked again.  */
#define FREEZE_RETRY_NAPS 25
/* cgroup.procs can be long, but not this long.  */
#define CG_FILE_MAX (16 * 1024 * 1024)

/* ---- small helpers ---------------------------------------------------- */

static void
deadline_in (struct timespec *end, long ms)
{
  clock_gettime (CLOCK_MONOTONIC, end);
  end->tv_sec += ms / 1000;
  end->tv_nsec += (ms % 1000) * 1000000L;
  if (end->tv_nsec >= 1000000000L)
    {
      end->tv_sec++;
      end->tv_nsec -= 1000000000L;
    }
}

static bool
deadline_passed (const struct timespec *end)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return now.tv_sec > end->tv_sec
         || (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static void
nap (void)
{
  struct timespec ts = { 0, CG_POLL_MS * 1000000L };

  nanosleep (&ts, NULL);
}

bool
mc_cg_list_has (const char *list, char sep, const char *word)
{
  size_t len = strlen (word);
  const char *p = list;

  while (p && *p)
    {
      const char *end = strchr (p, sep);
      size_t n = end ? (size_t) (end - p) : strlen (p);

      if (n == len && strncmp (p, word, len) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

char *
mc_cg_dirname (const char *rel)
{
  const char *slash = strrchr (rel, '/');

  return slash ? xstrndup (rel, (size_t) (slash - rel)) : xstrdup ("");
}

/* REL/FILE, or FILE alone at the mount root.  */
static char *
join_rel (const char *rel, const char *file)
{
  if (file == NULL || *file == '\0')
    return xstrdup (rel);
  return *rel ? xasprintf ("%s/%s", rel, file) : xstrdup (file);
}

/* Errors name the absolute path, never the fd-relative one.  (The
 * explicit -1 lets static analysers see that callers return early.)  */
static int
cg_error (mc_error_t *err, int status, const char *what,
          const struct mc_cg_hier *h, const char *sub)
{
  mc_make_error (err, status, "%s `%s%s%s`", what, h->mountpoint,
                 *sub ? "/" : "", sub);
  return -1;
}

/* ---- file access ------------------------------------------------------ */

/* kernfs answers ENODEV on a file of a cgroup removed since the file was
 * opened (the monitor's cleanup, or a systemd host trimming an empty
 * scope, racing with us): to callers that is a cgroup that is gone, as
 * ENOENT is at the open.  Only when SUB is gone indeed: some files answer
 * ENODEV for what was written (io.max, rdma.max: no such device).  */
static int
gone_as_enoent (int status, struct mc_cg_hier *h, const char *sub)
{
  if (status == ENODEV && faccessat (h->mountfd, sub, F_OK, 0) < 0 && errno == ENOENT)
    return ENOENT;
  return status;
}

int
mc_cg_write_at (struct mc_cg_hier *h, const char *rel, const char *file,
                const char *value, mc_error_t *err)
{
  cleanup_free char *sub = join_rel (rel, file);
  cleanup_close int fd = -1;

  /* No O_CREAT: a missing file means a missing controller or cgroup, and
   * cgroupfs would refuse to create one anyway.  */
  fd = openat (h->mountfd, sub, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return cg_error (err, errno, "open", h, sub);
  mc_test_point_of ("cgroup-opened-", file);
  if (mc_write_all (fd, value, strlen (value)) < 0)
    return cg_error (err, gone_as_enoent (errno, h, sub), "write", h, sub);
  return 0;
}

int
mc_cg_read_at (struct mc_cg_hier *h, const char *rel, const char *file,
               char **out, mc_error_t *err)
{
  cleanup_free char *sub = join_rel (rel, file);
  cleanup_free char *shown = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;

  fd = openat (h->mountfd, sub, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cg_error (err, errno, "open", h, sub);
  shown = xasprintf ("%s/%s", h->mountpoint, sub);
  if (mc_read_fd (fd, shown, CG_FILE_MAX, out, &len, err) < 0)
    {
      if (err && *err)
        (*err)->status = gone_as_enoent ((*err)->status, h, sub);
      return -1;
    }
  if (len > 0 && (*out)[len - 1] == '\n')
    (*out)[len - 1] = '\0';
  return 0;
}

static int
parse_u64 (const char *s, const char *shown, uint64_t *out, mc_error_t *err)
{
  char *end = NULL;

  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno != 0 || end == s || (*end != '\0' && *end != '\n')
      || *s == '-')
    return mc_make_error (err, errno ? errno : EINVAL,
                          "parse `%s`: unexpected `%s`", shown, s);
  return 0;
}

int
mc_cg_read_u64 (struct mc_cg_hier *h, const char *file, uint64_t *out,
                mc_error_t *err)
{
  cleanup_free char *s = NULL;
  cleanup_free char *shown = NULL;

  if (mc_cg_read_at (h, h->rel, file, &s, err) < 0)
    return -1;
  shown = xasprintf ("%s/%s", h->path, file);
  return parse_u64 (s, shown, out, err);
}

int
mc_cg_read_key_u64 (struct mc_cg_hier *h, const char *file, const char *key,
                    uint64_t *out, mc_error_t *err)
{
  cleanup_free char *s = NULL;
  cleanup_free char *shown = NULL;
  size_t klen = strlen (key);
  char *line, *next;

  if (mc_cg_read_at (h, h->rel, file, &s, err) < 0)
    return -1;
  shown = xasprintf ("%s/%s", h->path, file);
  for (line = s; line; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
        return parse_u64 (line + klen + 1, shown, out, err);
    }
  return mc_make_error (err, ENOENT, "read `%s`: no `%s` key", shown, key);
}

/* ---- names -------------------------------------------------------------- */

/* One path component we are willing to mkdir: nothing that could climb
 * out of PARENT ("..") or alias another level (".", "").  */
static bool
valid_component (const char *s, size_t n)
{
  if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
    return false;
  return memchr (s, '/', n) == NULL;
}

static int
validate_parent (const char *parent, mc_error_t *err)
{
  const char *p = parent && *parent == '/' ? parent + 1 : parent;

  if (p == NULL || *p == '\0')
    return mc_make_error (err, EINVAL, "invalid cgroup parent `%s`", parent ? parent : "");
  while (p)
    {
      const char *end = strchr (p, '/');
      size_t n = end ? (size_t) (end - p) : strlen (p);

      if (!valid_component (p, n))
        return mc_make_error (err, EINVAL, "invalid cgroup parent `%s`", parent);
      p = end ? end + 1 : NULL;
    }
  return 0;
}

static int
validate_name (const char *name, mc_error_t *err)
{
  if (name == NULL || !valid_component (name, strlen (name)))
    return mc_make_error (err, EINVAL, "invalid cgroup name `%s`", name ? name : "");
  return 0;
}

/* ---- layout detection --------------------------------------------------- */

/* A hybrid host counts as cgroup2 only when the unified hierarchy has the
 * controllers the runtime relies on for limits and stats; here (and on
 * most hybrid hosts) it has none or only leftovers such as hugetlb.  */
static int
unified_has_controllers (bool *out, mc_error_t *err)
{
  cleanup_free char *s = NULL;
  mc_error_t e = NULL;

  *out = false;
  if (mc_read_file_at (AT_FDCWD, CG_ROOT "/unified/cgroup.controllers",
                       4096, &s, NULL, &e) < 0)
    {
      int status = e->status;

      mc_error_release (&e);
      if (status == ENOENT)
        return 0;
      return mc_make_error (err, status, "read `%s`", CG_ROOT "/unified/cgroup.controllers");
    }
  s[strcspn (s, "\n")] = '\0';
  *out = mc_cg_list_has (s, ' ', "memory") && mc_cg_list_has (s, ' ', "pids");
  return 0;
}

int
mc_cgroup_detect (enum mc_cgroup_layout *out, mc_error_t *err)
{
  struct statfs sfs;
  bool unified = false;
  int r = statfs (CG_ROOT, &sfs);

  /* No /sys/fs/cgroup at all: cgroup1 mounted elsewhere, or nothing.  */
  if (r < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "statfs `%s`", CG_ROOT);
  if (r == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      *out = MC_CGROUP_V2;
      return 0;
    }
  if (unified_has_controllers (&unified, err) < 0)
    return -1;
  *out = unified ? MC_CGROUP_V2 : MC_CGROUP_V1;
  return 0;
}

const char *
mc_cgroup_layout_name (enum mc_cgroup_layout l)
{
  return l == MC_CGROUP_V2 ? "cgroup2" : "cgroup1";
}

/* ---- finding the hierarchies -------------------------------------------- */

/* A cgroup or cgroup2 line of /proc/self/mountinfo.  */
struct cg_mount
{
  char *root;       /* the part of the hierarchy the mount shows */
  char *mountpoint;
  char *opts;       /* super options: "rw,cpu,cpuacct", "rw,name=systemd" */
  bool unified;
};

static void
mounts_free (struct cg_mount *m, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (m[i].root);
      free (m[i].mountpoint);
      free (m[i].opts);
    }
  free (m);
}

/* mountinfo writes space, tab, newline and backslash as \ooo.  */
static void
unescape_octal (char *s)
{
  char *w = s;

  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0'
          && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
        {
          *w++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 3;
        }
      else
        *w++ = *s;
    }
  *w = '\0';
}

/* "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup
 * rw,memory": root and mount point are fields 4 and 5; optional fields
 * run up to "-", then come fstype, source and the super options.  False
 * for anything but a cgroup mount.  */
static bool
parse_mount_line (char *line, struct cg_mount *m)
{
  char *f[64], *save = NULL, *tok;
  size_t n = 0, i;

  for (tok = strtok_r (line, " \n", &save); tok && n < 64; tok = strtok_r (NULL, " \n", &save))
    f[n++] = tok;
  for (i = 6; i < n && strcmp (f[i], "-") != 0; i++)
    ;
  if (i + 3 >= n || (strcmp (f[i + 1], "cgroup") != 0 && strcmp (f[i + 1], "cgroup2") != 0))
    return false;
  unescape_octal (f[3]);
  unescape_octal (f[4]);
  m->root = xstrdup (f[3]);
  m->mountpoint = xstrdup (f[4]);
  m->opts = xstrdup (f[i + 3]);
  m->unified = strcmp (f[i + 1], "cgroup2") == 0;
  return true;
}

static int
read_mounts (struct cg_mount **out, size_t *n, mc_error_t *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  struct cg_mount m;

  if (f == NULL)
    return mc_make_error (err, errno, "open `/proc/self/mountinfo`");
  *out = NULL;
  *n = 0;
  while (getline (&line, &cap, f) > 0)
    {
      if (!parse_mount_line (line, &m))
        continue;
      *out = xrealloc (*out, (*n + 1) * sizeof (**out));
      (*out)[(*n)++] = m;
    }
  return 0;
}

/* ---- holding the layout ------------------------------------------------- */

/* While held (mc_cgroup_hold), by this process only (a child forked
 * meanwhile may live in other namespaces): the layout, this process's
 * /proc/self/cgroup, the cgroup mounts and an fd on each mount point,
 * found once instead of for every cgroup opened.  */
static struct
{
  unsigned holds;
  pid_t pid;
  bool filled;
  enum mc_cgroup_layout layout;
  char *self;
  struct cg_mount *m;
  size_t n;
  int *fds;          /* by index in M, -1 until opened */
  struct mc_cgroup *tmpl; /* the hierarchies of the last placement loaded */
} held;

static bool
held_here (void)
{
  return held.holds > 0 && held.filled && held.pid == getpid ();
}

static int
held_detect (enum mc_cgroup_layout *out, mc_error_t *err)
{
  size_t i;

  if (held.holds == 0 || held.pid != getpid ())
    return mc_cgroup_detect (out, err);
  if (!held.filled)
    {
      if (mc_cgroup_detect (&held.layout, err) < 0
          || mc_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &held.self, NULL, err) < 0
          || read_mounts (&held.m, &held.n, err) < 0)
        {
          free (held.self);
          held.self = NULL;
          return -1;
        }
      held.fds = xmalloc0 (sizeof (int) * (held.n + 1));
      for (i = 0; i < held.n; i++)
        held.fds[i] = -1;
      held.filled = true;
    }
  *out = held.layout;
  return 0;
}

/* An fd on the held mount point PATH, opened on first use; -1 when it
 * cannot be had (the caller opens its own and reports the error).  */
static int
held_mountfd (const char *path)
{
  size_t i;

  for (i = 0; i < held.n; i++)
    if (strcmp (held.m[i].mountpoint, path) == 0)
      {
        if (held.fds[i] < 0)
          held.fds[i] = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return held.fds[i];
      }
  return -1;
}

/* Copy the hierarchies of SRC (placement and mounts, not the paths of a
 * parent or name) into DST, which has none.  */
static void
copy_hiers (struct mc_cgroup *dst, const struct mc_cgroup *src)
{
  size_t i;

  dst->placement = xstrdup (src->placement);
  dst->hier = xmalloc0 (sizeof (*dst->hier) * (src->n_hier + 1));
  for (i = 0; i < src->n_hier; i++)
    dst->hier[i] = (struct mc_cg_hier) {
      .mountpoint = xstrdup (src->hier[i].mountpoint),
      .controllers = xstrdup (src->hier[i].controllers),
      .unified = src->hier[i].unified,
      .mountfd = src->hier[i].mountfd,
      .held_fd = true,
      .base = xstrdup (src->hier[i].base),
    };
  dst->n_hier = src->n_hier;
}

/* A cgroup just loaded under a hold: the template for the next ones of
 * the same placement, when all its mount fds are the hold's.  */
static void
held_keep (const struct mc_cgroup *cg)
{
  size_t i;

  if (!held_here ())
    return;
  for (i = 0; i < cg->n_hier; i++)
    if (!cg->hier[i].held_fd)
      return;
  mc_cgroup_free (held.tmpl);
  held.tmpl = xmalloc0 (sizeof (*held.tmpl));
  held.tmpl->layout = cg->layout;
  held.tmpl->parent = xstrdup (cg->parent);
  copy_hiers (held.tmpl, cg);
}

/* CG's hierarchies from the template, when PLACEMENT (NULL: ours) is its. */
static bool
held_clone (const char *placement, struct mc_cgroup *cg)
{
  if (!held_here () || held.tmpl == NULL || held.tmpl->layout != cg->layout
      || strcmp (held.tmpl->placement, placement ? placement : held.self) != 0)
    return false;
  copy_hiers (cg, held.tmpl);
  return true;
}

void
mc_cgroup_hold (void)
{
  if (held.holds > 0 && held.pid != getpid ())
    return;
  if (held.holds++ == 0)
    held.pid = getpid ();
}

void
mc_cgroup_release (void)
{
  size_t i;

  if (held.holds == 0 || held.pid != getpid () || --held.holds > 0)
    return;
  mc_cgroup_free (held.tmpl);
  for (i = 0; held.filled && i < held.n; i++)
    if (held.fds[i] >= 0)
      close (held.fds[i]);
  mounts_free (held.m, held.n);
  free (held.fds);
  free (held.self);
  memset (&held, 0, sizeof (held));
}

/* A relative cgroup path we can use under a mount: "" or components that
 * are neither empty, "." nor "..".  */
static bool
valid_rel (const char *s)
{
  while (*s)
    {
      const char *end = strchr (s, '/');
      size_t n = end ? (size_t) (end - s) : strlen (s);

      if (!valid_component (s, n))
        return false;
      s = end ? end + 1 : s + n;
    }
  return true;
}

/* PATH (from /proc/self/cgroup) relative to a mount showing ROOT of the
 * hierarchy, or NULL when the mount does not show it (a bind mount of a
 * subtree, a cgroup namespace's "/..").  */
static char *
base_below (const char *root, const char *path)
{
  size_t n = strcmp (root, "/") == 0 ? 0 : strlen (root);
  cleanup_free char *base = NULL;
  size_t len;

  if (strncmp (path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
    return NULL;
  path += n;
  path += strspn (path, "/");
  base = xstrdup (path);
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return valid_rel (base) ? steal_pointer (&base) : NULL;
}

/* The mount of the hierarchy holding CTRLS ("" = cgroup2) that shows
 * PATH; the first one when a hierarchy is mounted twice.  */
static const struct cg_mount *
match_mount (const struct cg_mount *m, size_t n, const char *ctrls,
             const char *path, char **base)
{
  bool unified = *ctrls == '\0';
  size_t i;

  for (i = 0; i < n; i++)
    {
      cleanup_free char *opts = xstrdup (ctrls);
      char *save = NULL, *c;
      bool all = true;

      if (m[i].unified != unified)
        continue;
      for (c = strtok_r (opts, ",", &save); c; c = strtok_r (NULL, ",", &save))
        all = all && mc_cg_list_has (m[i].opts, ',', c);
      if (all && (*base = base_below (m[i].root, path)) != NULL)
        return &m[i];
    }
  return NULL;
}

static int
hier_append (struct mc_cgroup *cg, struct mc_cg_hier *h, bool use_held, mc_error_t *err)
{
  h->held_fd = use_held && (h->mountfd = held_mountfd (h->mountpoint)) >= 0;
  if (!h->held_fd)
    h->mountfd = open (h->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h->mountfd < 0)
    return mc_make_error (err, errno, "open `%s`", h->mountpoint);
  cg->hier = xrealloc (cg->hier, (cg->n_hier + 1) * sizeof (*cg->hier));
  cg->hier[cg->n_hier++] = *h;
  return 0;
}

static void
hier_clear (struct mc_cg_hier *h)
{
  free (h->mountpoint);
  free (h->controllers);
  free (h->base);
  free (h->parent_rel);
  free (h->rel);
  free (h->path);
  if (h->mountfd >= 0 && !h->held_fd)
    close (h->mountfd);
}

/* One "ID:CONTROLLERS:PATH" line of /proc/self/cgroup: the hierarchy and
 * the caller's place in it.  Hierarchies not mounted here are skipped.  */
static int
add_hierarchy (struct mc_cgroup *cg, char *line, const struct cg_mount *m,
               size_t n, bool use_held, mc_error_t *err)
{
  char *ctrls = strchr (line, ':'), *path;
  struct mc_cg_hier h = { .mountfd = -1 };
  const struct cg_mount *mnt;

  line[strcspn (line, "\n")] = '\0';
  path = ctrls ? strchr (ctrls + 1, ':') : NULL;
  if (path == NULL)
    return 0;
  *ctrls++ = '\0';
  *path++ = '\0';
  mnt = match_mount (m, n, ctrls, path, &h.base);
  if (mnt == NULL)
    return 0;
  h.mountpoint = xstrdup (mnt->mountpoint);
  h.controllers = xstrdup (ctrls);
  h.unified = mnt->unified;
  if (!cg->ops->wants (&h))
    {
      hier_clear (&h);
      return 0;
    }
  if (hier_append (cg, &h, use_held, err) < 0)
    {
      hier_clear (&h);
      return -1;
    }
  return 0;
}

/* The hierarchies of PLACEMENT, a /proc/PID/cgroup text (NULL: this
 * process's own, read now and kept in CG).  */
static int
load_hierarchies (struct mc_cgroup *cg, const char *placement, mc_error_t *err)
{
  cleanup_free char *copy = NULL;
  struct cg_mount *m = NULL;
  char *line, *save = NULL;
  bool use_held = held_here ();
  size_t n = 0;
  int ret = 0;

  if (placement)
    cg->placement = xstrdup (placement);
  else if (use_held)
    cg->placement = xstrdup (held.self);
  else if (mc_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &cg->placement, NULL, err) < 0)
    return -1;
  if (use_held)
    m = held.m, n = held.n;
  else if (read_mounts (&m, &n, err) < 0)
    return -1;
  copy = xstrdup (cg->placement);
  for (line = strtok_r (copy, "\n", &save); ret == 0 && line; line = strtok_r (NULL, "\n", &save))
    ret = add_hierarchy (cg, line, m, n, use_held, err);
  if (m != held.m)
    mounts_free (m, n);
  if (ret == 0 && cg->n_hier == 0)
    ret = mc_make_error (err, ENOENT, "no %s hierarchy is mounted", cg->ops->name);
  return ret;
}

/* Where PARENT and NAME are in H: below the caller's own cgroup for a
 * relative PARENT, below the mount for an absolute one (OCI cgroupsPath).
 * The part that is the caller's own cgroup is FIXED_LEN long.  */
static void
set_paths (struct mc_cg_hier *h, const char *parent, const char *name)
{
  bool absolute = parent[0] == '/';
  const char *base = absolute ? "" : h->base;

  parent += absolute ? 1 : 0;
  h->fixed_len = strlen (base);
  h->parent_rel = *base ? xasprintf ("%s/%s", base, parent) : xstrdup (parent);
  if (name == NULL)
    return;
  h->rel = xasprintf ("%s/%s", h->parent_rel, name);
  h->path = xasprintf ("%s/%s", h->mountpoint, h->rel);
}

static void
cgroup_freep (struct mc_cgroup **cg)
{
  mc_cgroup_free (*cg);
}
#define cleanup_cgroup __attribute__ ((cleanup (cgroup_freep)))

/* Validate the names, detect the layout and find where PARENT/NAME lives
 * in each hierarchy.  Touches nothing.  NAME may be NULL.  */
static int
cg_new (const char *placement, const char *parent, const char *name, struct mc_cgroup **out,
        mc_error_t *err)
{
  cleanup_cgroup struct mc_cgroup *cg = NULL;
  enum mc_cgroup_layout layout = MC_CGROUP_V1;
  size_t i;

  if (validate_parent (parent, err) < 0
      || (name != NULL && validate_name (name, err) < 0)
      || held_detect (&layout, err) < 0)
    return -1;
  cg = xmalloc0 (sizeof (*cg));
  cg->layout = layout;
  cg->ops = layout == MC_CGROUP_V2 ? &mc_cgroup_ops_v2 : &mc_cgroup_ops_v1;
  cg->parent = xstrdup (parent);
  if (!held_clone (placement, cg))
    {
      if (load_hierarchies (cg, placement, err) < 0)
        return -1;
      held_keep (cg);
    }
  for (i = 0; i < cg->n_hier; i++)
    set_paths (&cg->hier[i], parent, name);
  *out = steal_pointer (&cg);
  return 0;
}

void
mc_cgroup_free (struct mc_cgroup *cg)
{
  size_t i;

  if (cg == NULL)
    return;
  for (i = 0; i < cg->n_hier; i++)
    hier_clear (&cg->hier[i]);
  free (cg->hier);
  free (cg->placement);
  free (cg->parent);
  free (cg);
}

const char *
mc_cgroup_placement (struct mc_cgroup *cg)
{
  return cg->placement;
}

const char *
mc_cgroup_parent_of (struct mc_cgroup *cg)
{
  return cg->parent;
}

bool
mc_cgroup_is_new (struct mc_cgroup *cg)
{
  return cg->made;
}

enum mc_cgroup_layout
mc_cgroup_layout (struct mc_cgroup *cg)
{
  return cg->layout;
}

const char *
mc_cgroup_path (struct mc_cgroup *cg, const char *controller)
{
  struct mc_cg_hier *h = NULL;
  size_t i;

  if (controller != NULL && *controller != '\0')
    h = cg->ops->hier_for (cg, controller);
  for (i = 0; h == NULL && (controller == NULL || *controller == '\0') && i < cg->n_hier; i++)
    if (cg->hier[i].unified)
      h = &cg->hier[i];
  return h ? h->path : NULL;
}

struct mc_cg_hier *
mc_cg_find_v1 (struct mc_cgroup *cg, const char *controller)
{
  cleanup_free char *named = xasprintf ("name=%s", controller);
  size_t i;

  for (i = 0; i < cg->n_hier; i++)
    {
      struct mc_cg_hier *h = &cg->hier[i];

      if (!h->unified && (mc_cg_list_has (h->controllers, ',', controller)
                          || mc_cg_list_has (h->controllers, ',', named)))
        return h;
    }
  return NULL;
}

struct mc_cg_hier *
mc_cg_need_v1 (struct mc_cgroup *cg, const char *controller, mc_error_t *err)
{
  struct mc_cg_hier *h = mc_cg_find_v1 (cg, controller);

  if (h == NULL)
    mc_make_error (err, ENOENT, "no cgroup1 hierarchy with the `%s` controller is mounted", controller);
  return h;
}

/* Where cgroup.procs is read: the pids hierarchy, else the freezer's,
 * else any (on cgroup2 there is only one).  */
static struct mc_cg_hier *
procs_hier (struct mc_cgroup *cg)
{
  struct mc_cg_hier *h = cg->ops->hier_for (cg, "pids");

  if (h == NULL)
    h = cg->ops->hier_for (cg, "freezer");
  return h ? h : &cg->hier[0];
}

/* ---- walking child cgroups ---------------------------------------------- */

typedef int (*child_fn) (int dfd, const char *name, const char *shown,
                         void *arg, mc_error_t *err);

/* Call FN for each child cgroup (subdirectory) of the cgroup open at DFD,
 * SHOWN being its absolute path.  */
static int
for_each_child (int dfd, const char *shown, child_fn fn, void *arg,
                mc_error_t *err)
{
  cleanup_dir DIR *d = mc_opendir_at (dfd, ".");
  struct dirent *de;

  if (d == NULL)
    return mc_make_error (err, errno, "opendir `%s`", shown);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0
          || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", shown, de->d_name);
      if (fn (dfd, de->d_name, sub, arg, err) < 0)
        return -1;
    }
  if (errno != 0)
    return mc_make_error (err, errno, "readdir `%s`", shown);
  return 0;
}

static int
note_child (int dfd, const char *name, const char *shown, void *arg,
            mc_error_t *err)
{
  (void) dfd, (void) name, (void) shown, (void) err;
  *(bool *) arg = true;
  return 0;
}

/* Whether REL of H has child cgroups; a missing REL has none.  */
static int
has_children (struct mc_cg_hier *h, const char *rel, bool *out,
              mc_error_t *err)
{
  cleanup_free char *shown = xasprintf ("%s/%s", h->mountpoint, rel);
  cleanup_close int fd = -1;

  *out = false;
  fd = openat (h->mountfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", shown);
  return for_each_child (fd, shown, note_child, out, err);
}

/* ---- PIDs --------------------------------------------------------------- */

struct pid_list
{
  pid_t *v;
  size_t n;
};

static int
parse_procs (const char *s, const char *shown, struct pid_list *l,
             mc_error_t *err)
{
  while (*s)
    {
      char *end = NULL;
      long v;

      errno = 0;
      v = strtol (s, &end, 10);
      if (errno != 0 || end == s || v <= 0 || v > INT32_MAX || (*end != '\n' && *end != '\0'))
        return mc_make_error (err, EINVAL, "parse `%s`: unexpected `%.20s`", shown, s);
      l->v = xrealloc (l->v, (l->n + 1) * sizeof (pid_t));
      l->v[l->n++] = (pid_t) v;
      s = *end ? end + 1 : end;
    }
  return 0;
}

static int collect_child (int dfd, const char *name, const char *shown,
                          void *arg, mc_error_t *err);

/* cgroup.procs of the cgroup open at DFD, then of its children: a system
 * container's init (systemd) moves its services into child cgroups.  */
static int
collect_pids (int dfd, const char *shown, struct pid_list *l, mc_error_t *err)
{
  cleanup_free char *procs = xasprintf ("%s/cgroup.procs", shown);
  cleanup_free char *s = NULL;
  cleanup_close int fd = openat (dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);

  /* A cgroup removed since it was opened (a systemd host removes an
     empty scope's tree, maybe while we look: its files then read ENODEV)
     holds no process: only an empty cgroup can be removed.  */
  if (fd < 0 && (errno == ENOENT || errno == ENODEV))
    return 0;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", procs);
  if (mc_read_fd (fd, procs, CG_FILE_MAX, &s, NULL, err) < 0)
    {
      if ((*err)->status != ENODEV)
        return -1;
      mc_error_release (err);
      return 0;
    }
  if (parse_procs (s, procs, l, err) < 0)
    return -1;
  return for_each_child (dfd, shown, collect_child, l, err);
}

static int
collect_child (int dfd, const char *name, const char *shown, void *arg,
               mc_error_t *err)
{
  cleanup_close int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* A child cgroup removed while we walk is no longer there to list.  */
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", shown);
  return collect_pids (fd, shown, arg, err);
}

int
mc_cgroup_pids (struct mc_cgroup *cg, pid_t **out, size_t *n, mc_error_t *err)
{
  struct mc_cg_hier *h = procs_hier (cg);
  struct pid_list l = { NULL, 0 };
  cleanup_close int fd = -1;

  fd = openat (h->mountfd, h->rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cg_error (err, errno, "open", h, h->rel);
  if (collect_pids (fd, h->path, &l, err) < 0)
    {
      free (l.v);
      return -1;
    }
  *out = l.v;
  *n = l.n;
  return 0;
}

/* ---- create and open ---------------------------------------------------- */

/* The levels this create made, to remove them again if it fails.  */
struct made_list
{
  struct mc_cg_hier **h;
  char **rel;
  size_t n;
};

static void
made_push (struct made_list *m, struct mc_cg_hier *h, const char *rel)
{
  m->h = xrealloc (m->h, (m->n + 1) * sizeof (*m->h));
  m->rel = xrealloc (m->rel, (m->n + 1) * sizeof (*m->rel));
  m->h[m->n] = h;
  m->rel[m->n++] = xstrdup (rel);
}

/* Deepest first; only ever directories this call created.  */
static void
made_undo_and_free (struct made_list *m, bool undo)
{
  while (m->n > 0)
    {
      m->n--;
      if (undo)
        (void) unlinkat (m->h[m->n]->mountfd, m->rel[m->n], AT_REMOVEDIR);
      free (m->rel[m->n]);
    }
  free (m->h);
  free (m->rel);
}

/* An existing NAME may be reused only when nothing is using it.  */
static int
check_unused (struct mc_cg_hier *h, mc_error_t *err)
{
  cleanup_free char *procs = NULL;
  bool children = false;

  if (mc_cg_read_at (h, h->rel, "cgroup.procs", &procs, err) < 0
      || has_children (h, h->rel, &children, err) < 0)
    return -1;
  if (*procs != '\0' || children)
    return mc_make_error (err, EEXIST, "cgroup `%s` exists and is in use", h->path);
  return 0;
}

/* Whether LEVEL is named as minictr names the parent it makes itself
 * (`minictr-ID`, or `minictr` for the default state dir: paths.c): one
 * found there was made by another minictr
 * command (running now, or killed before it set it up), so it is set up
 * where it lacks something.  Any other level found there (a parent the
 * user named, a login session's scope) is not ours to change.  */
static bool
level_is_ours (const char *level)
{
  const char *base = strrchr (level, '/');

  base = base ? base + 1 : level;
  return strcmp (base, "minictr") == 0 || mc_str_has_prefix (base, "minictr-");
}

/* LEVEL of H: made, or found there and, if ours, set up where it is not
 * yet.  A reused NAME is set up too: a launch killed between its mkdir
 * and its setup leaves it empty.  */
static int
create_level (struct mc_cgroup *cg, struct mc_cg_hier *h, const char *level,
              bool leaf, struct made_list *made, bool *reused, mc_error_t *err)
{
  if (mkdirat (h->mountfd, level, 0755) == 0)
    {
      made_push (made, h, level);
      return cg->ops->init_level (cg, h, level, leaf, true, err);
    }
  if (errno != EEXIST)
    return cg_error (err, errno, "mkdir", h, level);
  if (!leaf)
    {
      mc_test_point ("cgroup-parent-exists");
      return level_is_ours (level) ? cg->ops->init_level (cg, h, level, false, false, err) : 0;
    }
  *reused = true;
  if (check_unused (h, err) < 0)
    return -1;
  return cg->ops->init_level (cg, h, level, true, false, err);
}

/* mkdir every level of REL below the caller's own cgroup, top down.  */
static int
create_levels (struct mc_cgroup *cg, struct mc_cg_hier *h, struct made_list *made,
               bool *reused, mc_error_t *err)
{
  const char *rel = h->rel;
  size_t i;

  for (i = h->fixed_len ? h->fixed_len + 1 : 0;; i++)
    {
      cleanup_free char *level = NULL;
      bool leaf = rel[i] == '\0';

      if (rel[i] != '/' && !leaf)
        continue;
      level = xstrndup (rel, i);
      if (create_level (cg, h, level, leaf, made, reused, err) < 0)
        return -1;
      if (leaf)
        return 0;
    }
}

/* The parent levels are shared: the stop of a container that was the
 * last below them removes them (mc_cgroup_remove_parent), and may do so
 * between our finding one there and making the level below it, which then
 * fails with ENOENT.  Then we start again from the top, where the parent
 * is made anew.  A parent that keeps vanishing means a livelock with
 * some other process: give up after a few rounds.  */
static int
create_in (struct mc_cgroup *cg, struct mc_cg_hier *h, struct made_list *made,
           bool *reused, mc_error_t *err)
{
  int round;

  for (round = 0;; round++)
    {
      if (create_levels (cg, h, made, reused, err) == 0)
        return 0;
      if ((*err)->status != ENOENT || round == 8)
        return -1;
      mc_error_release (err);
    }
}

int
mc_cgroup_open (const char *parent, const char *name, struct mc_cgroup **out,
                mc_error_t *err)
{
  return mc_cgroup_open_placed (NULL, parent, name, out, err);
}

int
mc_cgroup_open_placed (const char *placement, const char *parent, const char *name,
                       struct mc_cgroup **out, mc_error_t *err)
{
  cleanup_cgroup struct mc_cgroup *cg = NULL;
  struct stat st;
  size_t i;

  if (cg_new (placement, parent, name, &cg, err) < 0)
    return -1;
  for (i = 0; i < cg->n_hier; i++)
    if (fstatat (cg->hier[i].mountfd, cg->hier[i].rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
      {
        *out = steal_pointer (&cg);
        return 0;
      }
  return mc_make_error (err, ENOENT, "open cgroup `%s`", procs_hier (cg)->path);
}

/* ---- operations --------------------------------------------------------- */

int
mc_cgroup_enter (struct mc_cgroup *cg, pid_t pid, mc_error_t *err)
{
  char buf[32];
  size_t i;

  snprintf (buf, sizeof (buf), "%d", (int) pid);
  for (i = 0; i < cg->n_hier; i++)
    if (mc_cg_write_at (&cg->hier[i], cg->hier[i].rel, "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

/* A single thread moving itself skips the cgroup_threadgroup_rwsem and
 * the RCU grace period a move by PID waits for (~14 ms here): so the
 * caller opens the files (the kernel checks the opener's credentials,
 * which lets a child already in a user namespace use them) and the
 * process to move writes "0" itself.  v1: `tasks`; a v2 domain cgroup
 * only takes whole processes, through cgroup.procs.  */
int
mc_cgroup_open_self_move (struct mc_cgroup *cg, bool skip_unified, int **fds, size_t *n,
                          mc_error_t *err)
{
  return mc_cgroup_open_self_move_to (cg, skip_unified, NULL, fds, n, err);
}

int
mc_cgroup_open_self_move_to (struct mc_cgroup *cg, bool skip_unified, const char *unified_sub,
                             int **fds, size_t *n, mc_error_t *err)
{
  int *out = xmalloc0 (sizeof (int) * (cg->n_hier + 1));
  size_t i, k = 0;

  for (i = 0; i < cg->n_hier; i++)
    {
      cleanup_free char *path = NULL;

      if (skip_unified && cg->hier[i].unified)
        continue;
      if (cg->hier[i].unified && unified_sub && *unified_sub)
        path = xasprintf ("%s/%s/cgroup.procs", cg->hier[i].rel, unified_sub);
      else
        path = xasprintf ("%s/%s", cg->hier[i].rel, cg->hier[i].unified ? "cgroup.procs" : "tasks");
      out[k] = openat (cg->hier[i].mountfd, path, O_WRONLY | O_CLOEXEC);
      if (out[k] < 0)
        {
          int saved = errno;
          mc_cgroup_close_self_move (out, k);
          return mc_make_error (err, saved, "open `%s/%s`", cg->hier[i].mountpoint, path);
        }
      k++;
    }
  *fds = out;
  *n = k;
  return 0;
}

int
mc_cgroup_unified_dirfd (struct mc_cgroup *cg)
{
  size_t i;

  for (i = 0; i < cg->n_hier; i++)
    if (cg->hier[i].unified)
      return openat (cg->hier[i].mountfd, cg->hier[i].rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  errno = ENOENT;
  return -1;
}

int
mc_cgroup_enter_self (const int *fds, size_t n, mc_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (write (fds[i], "0", 1) != 1)
      return mc_make_error (err, errno, "join the container's cgroup");
  return 0;
}

void
mc_cgroup_close_self_move (int *fds, size_t n)
{
  size_t i;

  for (i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

int
mc_cgroup_frozen (struct mc_cgroup *cg, bool *frozen, mc_error_t *err)
{
  return cg->ops->frozen (cg, frozen, err);
}

/* Freezing is asynchronous on both layouts (a task is only stopped at its
 * next return to user space), so ask, then poll until the kernel says
 * it is done.  */
int
mc_cgroup_freeze (struct mc_cgroup *cg, bool frozen, mc_error_t *err)
{
  struct timespec end;
  bool now;

  unsigned int naps = 0;

  if (cg->ops->request_freeze (cg, frozen, err) < 0)
    return -1;
  deadline_in (&end, CG_WAIT_MS);
  for (;;)
    {
      if (cg->ops->frozen (cg, &now, err) < 0)
        return -1;
      if (now == frozen)
        return 0;
      if (deadline_passed (&end))
        return mc_make_error (err, ETIMEDOUT, "%s `%s`: not %s after %d s",
                              frozen ? "freeze" : "thaw", mc_cgroup_path (cg, "freezer"),
                              frozen ? "frozen" : "thawed", CG_WAIT_MS / 1000);
      nap ();
      /* cgroup1's freezer may stay FREEZING when a task was starting
         (forking, in exec) as it went round them: asked again, it goes
         round again, as LXC's freeze loop asks.  Harmless on cgroup2.  */
      if (++naps % FREEZE_RETRY_NAPS == 0 && cg->ops->request_freeze (cg, frozen, err) < 0)
        return -1;
    }
}

/* Empty means no process in the cgroup or below; a killed process that
 * is not yet reaped has already left cgroup.procs.  */
static int
wait_empty (struct mc_cgroup *cg, mc_error_t *err)
{
  struct timespec end;

  deadline_in (&end, CG_WAIT_MS);
  for (;;)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;

      if (mc_cgroup_pids (cg, &pids, &n, err) < 0)
        return -1;
      if (n == 0)
        return 0;
      if (deadline_passed (&end))
        return mc_make_error (err, ETIMEDOUT, "kill `%s`: %zu processes left after %d s",
                              procs_hier (cg)->path, n, CG_WAIT_MS / 1000);
      nap ();
    }
}

/* Whether the cgroup's directory is gone: only an empty cgroup can be
 * removed, so nothing of it runs any more (a systemd host removes a
 * scope's cgroups once they are empty, maybe while we look).  */
static bool
vanished (struct mc_cgroup *cg)
{
  struct mc_cg_hier *h = procs_hier (cg);
  struct stat st;

  return fstatat (h->mountfd, h->rel, &st, 0) < 0 && errno == ENOENT;
}

int
mc_cgroup_kill (struct mc_cgroup *cg, mc_error_t *err)
{
  if (cg->ops->kill (cg, err) < 0 || wait_empty (cg, err) < 0)
    {
      if ((*err)->status == ENOENT && vanished (cg))
        {
          mc_error_release (err);
          return 0;
        }
      return -1;
    }
  return 0;
}

/* Whether process PID (pinned by a pidfd the caller holds) is in the
 * cgroup at REL of its hierarchy, or below: a PID read from cgroup.procs
 * and reused since is not.  */
static bool
pid_in (pid_t pid, const char *rel)
{
  cleanup_free char *buf = NULL, *path = xasprintf ("/proc/%d/cgroup", (int) pid);
  cleanup_free char *want = xasprintf (":/%s", rel);
  mc_error_t e = NULL;
  char *line, *save = NULL;
  size_t len, n = strlen (want);

  if (mc_read_file_at (AT_FDCWD, path, 1 << 16, &buf, &len, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *at = strstr (line, want);

      if (at && (at[n] == '\0' || at[n] == '/'))
        return true;
    }
  return false;
}

/* Without the freeze, as crun kills on cgroup v1: rounds of SIGKILL to
 * what cgroup.procs lists until it lists nothing, each through a pidfd
 * opened first and checked to still be in the cgroup, so that a PID
 * reused meanwhile is never signalled.  */
static int
kill_unfrozen (struct mc_cgroup *cg, mc_error_t *err)
{
  struct mc_cg_hier *h = procs_hier (cg);
  struct timespec end;

  deadline_in (&end, CG_WAIT_MS);
  for (;;)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, i;

      if (mc_cgroup_pids (cg, &pids, &n, err) < 0)
        return -1;
      if (n == 0)
        return 0;
      for (i = 0; i < n; i++)
        {
          int fd = mc_sys_pidfd_open (pids[i], 0);

          if (fd < 0)
            continue;
          if (pid_in (pids[i], h->rel))
            (void) mc_sys_pidfd_send_signal (fd, SIGKILL, NULL, 0);
          close (fd);
        }
      if (deadline_passed (&end))
        return mc_make_error (err, ETIMEDOUT, "kill `%s`: %zu processes left after %d s", h->path, n,
                              CG_WAIT_MS / 1000);
      nap ();
    }
}

/* Frozen, nothing in the cgroup can fork or exit, so the PIDs we read
 * are exactly the ones to kill and none can be reused under us; the
 * SIGKILLs are delivered once we thaw.  A cgroup that does not freeze in
 * time (the v1 freezer cannot freeze a task in some uninterruptible
 * waits, a vfork parent's say, until the wait ends) is thawed, never
 * left FREEZING, and killed without the freeze.  */
int
mc_cg_kill_frozen (struct mc_cgroup *cg, mc_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  int ret;

  if (mc_cgroup_freeze (cg, true, err) < 0)
    {
      mc_error_t e = NULL;

      if ((*err)->status != ETIMEDOUT)
        return -1;
      mc_error_release (err);
      if (mc_cgroup_freeze (cg, false, &e) < 0)
        mc_error_release (&e);
      return kill_unfrozen (cg, err);
    }
  ret = mc_cgroup_pids (cg, &pids, &n, err);
  for (i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], SIGKILL) < 0 && errno != ESRCH)
      ret = mc_make_error (err, errno, "kill %d", (int) pids[i]);
  /* Thaw even after a failure: a cgroup left frozen hangs all in it.
   * (After a failure ERR is set and the thaw's own error is dropped.)  */
  if (mc_cgroup_freeze (cg, false, err) < 0)
    ret = -1;
  return ret;
}

int
mc_cgroup_stats (struct mc_cgroup *cg, struct mc_cgroup_stats *st,
                 mc_error_t *err)
{
  memset (st, 0, sizeof (*st));
  return cg->ops->stats (cg, st, err);
}

/* The hierarchy FILE belongs in, by the controller before its first dot;
 * core files ("cgroup.procs", cgroup1's "tasks") go to procs_hier().  */
static struct mc_cg_hier *
file_hier (struct mc_cgroup *cg, const char *file, mc_error_t *err)
{
  cleanup_free char *ctrl = NULL;
  struct mc_cg_hier *h;
  const char *dot;

  if (file == NULL || !valid_component (file, strlen (file)))
    {
      mc_make_error (err, EINVAL, "invalid cgroup file `%s`", file ? file : "");
      return NULL;
    }
  dot = strchr (file, '.');
  if (dot == NULL || mc_str_has_prefix (file, "cgroup."))
    return procs_hier (cg);
  ctrl = xstrndup (file, (size_t) (dot - file));
  h = cg->ops->hier_for (cg, ctrl);
  if (h == NULL)
    mc_make_error (err, ENOENT, "`%s`: no %s hierarchy has the `%s` controller",
                   file, cg->ops->name, ctrl);
  return h;
}

int
mc_cgroup_write (struct mc_cgroup *cg, const char *file, const char *value,
                 mc_error_t *err)
{
  struct mc_cg_hier *h = file_hier (cg, file, err);

  if (h == NULL)
    return -1;
  return mc_cg_write_at (h, h->rel, file, value, err);
}

/* Delegation as the kernel documents it (cgroup-v2.rst, "Delegation
 * Containment"): the directory and its cgroup.procs, cgroup.threads and
 * cgroup.subtree_control go to the delegatee; everything else stays
 * root's, so the limits set on the cgroup itself cannot be lifted.  */
int
mc_cgroup_delegate (struct mc_cgroup *cg, uid_t uid, gid_t gid, mc_error_t *err)
{
  static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control" };
  size_t i, j;

  for (i = 0; i < cg->n_hier; i++)
    {
      struct mc_cg_hier *h = &cg->hier[i];

      if (!h->unified)
        continue;
      for (j = 0; j < sizeof (files) / sizeof (files[0]); j++)
        {
          cleanup_free char *rel = xasprintf ("%s%s", h->rel, files[j]);

          if (fchownat (h->mountfd, rel, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
            return mc_make_error (err, errno, "delegate `%s/%s`", h->mountpoint, rel);
        }
    }
  return 0;
}

int
mc_cgroup_read_parent (struct mc_cgroup *cg, const char *file, char **out,
                       mc_error_t *err)
{
  struct mc_cg_hier *h = file_hier (cg, file, err);
  cleanup_free char *dir = NULL;

  if (h == NULL)
    return -1;
  dir = mc_cg_dirname (h->rel);
  return mc_cg_read_at (h, dir, file, out, err);
}

int
mc_cgroup_read (struct mc_cgroup *cg, const char *file, char **out,
                mc_error_t *err)
{
  struct mc_cg_hier *h = file_hier (cg, file, err);

  if (h == NULL)
    return -1;
  return mc_cg_read_at (h, h->rel, file, out, err);
}

/* ---- removal ------------------------------------------------------------ */

/* rmdir fails with EBUSY until the last task has left; killed tasks take
 * a moment to get there.  A directory already gone is removed.  */
static int
rmdir_retry (int dfd, const char *name, const char *shown, mc_error_t *err)
{
  struct timespec end;

  deadline_in (&end, CG_RMDIR_MS);
  while (unlinkat (dfd, name, AT_REMOVEDIR) < 0)
    {
      if (errno == ENOENT)
        return 0;
      if (errno != EBUSY || deadline_passed (&end))
        return mc_make_error (err, errno, "rmdir `%s`", shown);
      nap ();
    }
  return 0;
}

/* Child cgroups first: the container may have made its own (systemd in a
 * system container does), and a cgroup with children cannot go.  */
static int
rmdir_tree (int dfd, const char *name, const char *shown, void *arg,
            mc_error_t *err)
{
  cleanup_close int fd = -1;

  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", shown);
  if (for_each_child (fd, shown, rmdir_tree, arg, err) < 0)
    return -1;
  return rmdir_retry (dfd, name, shown, err);
}

int
mc_cgroup_destroy (struct mc_cgroup *cg, mc_error_t *err)
{
  size_t i;
  int ret = 0;

  /* Carry on after a failure so as little as possible is left behind;
   * the first error is the one reported.  */
  for (i = 0; i < cg->n_hier; i++)
    if (rmdir_tree (cg->hier[i].mountfd, cg->hier[i].rel, cg->hier[i].path, NULL, err) < 0)
      ret = -1;
  return ret;
}

/* PARENT's last component only.  Child cgroups mean other containers
 * still use it: leave it.  The rmdir is tried first, as listing the
 * children would read one entry per container: EBUSY with no process of
 * its own in it is a child cgroup, one with processes (never ours, but
 * ones on their way out) gets the usual retries.  */
static int
remove_parent_in (struct mc_cg_hier *h, mc_error_t *err)
{
  cleanup_free char *shown = xasprintf ("%s/%s", h->mountpoint, h->parent_rel);
  cleanup_free char *procs = NULL;

  if (unlinkat (h->mountfd, h->parent_rel, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY)
    return mc_make_error (err, errno, "rmdir `%s`", shown);
  if (mc_cg_read_at (h, h->parent_rel, "cgroup.procs", &procs, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      mc_error_release (err);
      return 0;
    }
  if (procs[strspn (procs, " \n")] == '\0')
    return 0;
  return rmdir_retry (h->mountfd, h->parent_rel, shown, err);
}

static int
remove_parent_placed (const char *placement, const char *parent, mc_error_t *err)
{
  cleanup_cgroup struct mc_cgroup *cg = NULL;
  size_t i;
  int ret = 0;

  if (cg_new (placement, parent, NULL, &cg, err) < 0)
    return -1;
  for (i = 0; i < cg->n_hier; i++)
    if (remove_parent_in (&cg->hier[i], err) < 0)
      ret = -1;
  return ret;
}

int
mc_cgroup_remove_parent (const char *parent, mc_error_t *err)
{
  return remove_parent_placed (NULL, parent, err);
}

int
mc_cgroup_remove_parent_of (struct mc_cgroup *cg, mc_error_t *err)
{
  return remove_parent_placed (cg->placement, cg->parent, err);
}

bool
mc_cgroup_wait_scope_trimmed (struct mc_cgroup *cg, int ms)
{
  struct mc_cg_hier *h = &cg->hier[0];
  size_t n = strlen (h->base);
  const char *last;
  struct timespec end;

  /* Only minictr's own scope, minictr-*.scope, with the container's
   * cgroup at BASE/payload/NAME: the monitor's, which nothing else uses.
   * (Another scope, a login session's, may hold the starting command's
   * cgroup while the container is elsewhere, below an absolute parent.) */
  if (cg->layout != MC_CGROUP_V2 || cg->n_hier != 1 || n == 0 || h->rel == NULL
      || strcmp (cg->parent, MC_SCOPE_PAYLOAD) != 0 || strncmp (h->rel, h->base, n) != 0
      || h->rel[n] != '/' || strncmp (h->rel + n + 1, MC_SCOPE_PAYLOAD "/", strlen (MC_SCOPE_PAYLOAD "/")) != 0)
    return false;
  last = strrchr (h->base, '/');
  last = last ? last + 1 : h->base;
  if (strncmp (last, "minictr-", strlen ("minictr-")) != 0 || strlen (last) <= strlen (".scope")
      || strcmp (last + strlen (last) - strlen (".scope"), ".scope") != 0)
    return false;
  deadline_in (&end, ms);
  for (;;)
    {
      cleanup_free char *events = NULL;
      mc_error_t e = NULL;
      struct stat st;

      if (fstatat (h->mountfd, h->base, &st, 0) < 0 && errno == ENOENT)
        return true;
      /* Processes of someone else's in it: it stays.  */
      if (mc_cg_read_at (h, h->base, "cgroup.events", &events, &e) == 0
          && strstr (events, "populated 0") == NULL)
        return false;
      mc_error_release (&e);
      if (deadline_passed (&end))
        return false;
      nap ();
    }
}

char *
mc_cgroup_unified_sub_of (struct mc_cgroup *cg, pid_t pid)
{
  cleanup_free char *buf = NULL, *file = xasprintf ("/proc/%d/cgroup", (int) pid);
  struct mc_cg_hier *h = NULL;
  mc_error_t e = NULL;
  const char *line, *rest;
  size_t i, len;

  for (i = 0; i < cg->n_hier && h == NULL; i++)
    if (cg->hier[i].unified)
      h = &cg->hier[i];
  if (h == NULL || mc_read_file_at (AT_FDCWD, file, 1 << 20, &buf, NULL, &e) < 0)
    {
      mc_error_release (&e);
      return NULL;
    }
  line = strncmp (buf, "0::", 3) == 0 ? buf : strstr (buf, "\n0::");
  if (line == NULL)
    return NULL;
  line += *line == '\n' ? 4 : 3;
  len = strcspn (line, "\n");
  /* "/REL/SUB": below the container's own cgroup, or nothing.  */
  if (line[0] != '/' || strncmp (line + 1, h->rel, strlen (h->rel)) != 0)
    return NULL;
  rest = line + 1 + strlen (h->rel);
  if (rest >= line + len || *rest != '/')
    return NULL;
  rest++;
  {
    char *sub = xstrndup (rest, (size_t) (line + len - rest));

    if (!valid_rel (sub))
      {
        free (sub);
        return NULL;
      }
    return sub;
  }
}

int
mc_cgroup_create_placed (const char *placement, const char *parent, const char *name,
                         struct mc_cgroup **out, mc_error_t *err)
{
  cleanup_cgroup struct mc_cgroup *cg = NULL;
  struct made_list made = { NULL, NULL, 0 };
  bool reused = false;
  size_t i;
  int ret = 0;

  if (cg_new (placement, parent, name, &cg, err) < 0)
    return -1;
  for (i = 0; ret == 0 && i < cg->n_hier; i++)
    ret = create_in (cg, &cg->hier[i], &made, &reused, err);
  /* A reused cgroup may have been left frozen; whatever enters it next
   * would stop dead.  */
  if (ret == 0 && reused)
    ret = cg->ops->request_freeze (cg, false, err);
  made_undo_and_free (&made, ret < 0);
  cg->made = !reused;
  if (ret == 0)
    *out = steal_pointer (&cg);
  return ret;
}

int
mc_cgroup_create (const char *parent, const char *name, struct mc_cgroup **out,
                  mc_error_t *err)
{
  return mc_cgroup_create_placed (NULL, parent, name, out, err);
}

int
mc_cgroup_remove_parent_placed (const char *placement, const char *parent, mc_error_t *err)
{
  return remove_parent_placed (placement, parent, err);
}

int
mc_cgroup_split_self (const char *sub, char **placement, mc_error_t *err)
{
  cleanup_free char *text = NULL, *dir = NULL, *avail = NULL, *enable = NULL;
  cleanup_close int dfd = -1, procs = -1, ctl = -1;
  const char *line;
  char *tok, *save = NULL;
  size_t len;

  if (mc_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, &text, NULL, err) < 0)
    return -1;
  if (strncmp (text, "0::/", 4) != 0 || strchr (text, '\n') != text + strlen (text) - 1)
    return mc_make_error (err, 0, "not in a pure cgroup2 hierarchy: %s", text);
  line = text + 3;
  len = strcspn (line, "\n");
  dir = xasprintf ("/sys/fs/cgroup%.*s", (int) len, line);
  if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open cgroup `%s`", dir);
  if (mkdirat (dfd, sub, 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s/%s`", dir, sub);
  {
    cleanup_free char *p = xasprintf ("%s/cgroup.procs", sub);

    if ((procs = openat (dfd, p, O_WRONLY | O_CLOEXEC)) < 0 || mc_write_all (procs, "0", 1) < 0)
      return mc_make_error (err, errno, "move the monitor into `%s/%s`", dir, sub);
  }
  /* What the parent offers us, for our other children (the payload).  */
  if (mc_read_file_at (dfd, "cgroup.controllers", CG_FILE_MAX, &avail, NULL, err) < 0)
    return -1;
  enable = xstrdup ("");
  for (tok = strtok_r (avail, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    {
      char *more = xasprintf ("%s%s+%s", enable, *enable ? " " : "", tok);

      free (enable);
      enable = more;
    }
  if (*enable)
    {
      if ((ctl = openat (dfd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC)) < 0
          || mc_write_all (ctl, enable, strlen (enable)) < 0)
        return mc_make_error (err, errno, "enable `%s` in `%s/cgroup.subtree_control`", enable,
                              dir);
    }
  *placement = steal_pointer (&text);
  return 0;
}
