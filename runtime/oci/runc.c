/* The OCI runtime's container commands (runc.h).  */
#include "runtime/oci/runc.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/limits.h"
#include "runtime/cgroup/systemd.h"
#include "runtime/oci/bundle.h"
#include "runtime/oci/hooks.h"
#include "runtime/oci/seccomp.h"
#include "runtime/security.h"
#include "runtime/start.h"
#include "runtime/sync.h"
#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define STATE_MAX (1u << 20)

/* runc's rule for ids: letters, digits, `_`, `+`, `-`, `.`, not `.` or `..`.  */
static int
check_id (const char *id, mc_error_t *err)
{
  const char *p;

  if (*id == '\0' || strcmp (id, ".") == 0 || strcmp (id, "..") == 0 || strlen (id) > 1024)
    return mc_make_usage_error (err, "invalid container id `%s`", id);
  for (p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr ("_+-.", *p)))
      return mc_make_usage_error (err, "invalid container id `%s`: letters, digits, `_`, `+`, `-` and `.` only", id);
  return 0;
}

/* The start time of PID (/proc/PID/stat's 22nd field), 0 when PID is
 * gone or a zombie: a PID reused later has another.  */
static unsigned long long
start_time_of (pid_t pid)
{
  cleanup_free char *text = NULL, *path = xasprintf ("/proc/%d/stat", (int) pid);
  mc_error_t err = NULL;
  unsigned long long t = 0;
  char state;
  size_t len;
  char *p;
  int i;

  if (mc_read_file_at (AT_FDCWD, path, 4096, &text, &len, &err) < 0)
    {
      mc_error_release (&err);
      return 0;
    }
  /* After the command's closing parenthesis: state, then 19 fields.  */
  p = strrchr (text, ')');
  if (p == NULL || sscanf (p + 2, "%c", &state) != 1 || state == 'Z' || state == 'X')
    return 0;
  for (i = 0; p && i < 20; i++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p + 1, "%llu", &t) != 1)
    return 0;
  return t;
}

/* ---- create --------------------------------------------------------------- */

/* What each of a bundle's mounts becomes: one of those minictr's start
 * path makes anyway (the value says which), or a bind mount.  */
enum mount_kind
{
  MOUNT_BUILTIN,
  MOUNT_MQUEUE,
  MOUNT_BIND,
  MOUNT_TMPFS,
};

static bool
has_option (const struct mc_oci_mount *m, const char *opt)
{
  char **o;

  for (o = m->options; *o; o++)
    if (strcmp (*o, opt) == 0)
      return true;
  return false;
}

static int
classify_mount (const struct mc_oci_mount *m, size_t i, enum mount_kind *kind, mc_error_t *err)
{
  static const struct
  {
    const char *dest, *type;
  } builtin[] = {
    { "/proc", "proc" },         { "/dev", "tmpfs" },          { "/dev/pts", "devpts" },
    { "/dev/shm", "tmpfs" },     { "/sys", "sysfs" },          { "/sys/fs/cgroup", "cgroup" },
    { "/sys/fs/cgroup", "cgroup2" },
  };
  size_t j;

  for (j = 0; j < sizeof (builtin) / sizeof (builtin[0]); j++)
    if (strcmp (m->destination, builtin[j].dest) == 0 && strcmp (m->type, builtin[j].type) == 0)
      {
        *kind = MOUNT_BUILTIN;
        return 0;
      }
  if (strcmp (m->destination, "/dev/mqueue") == 0 && strcmp (m->type, "mqueue") == 0)
    {
      *kind = MOUNT_MQUEUE;
      return 0;
    }
  /* runc's rootless spec binds /sys: minictr mounts a sysfs of its own,
     read-only, which shows no more.  */
  if (strcmp (m->destination, "/sys") == 0 && (has_option (m, "bind") || has_option (m, "rbind")))
    {
      *kind = MOUNT_BUILTIN;
      return 0;
    }
  if (strcmp (m->type, "tmpfs") == 0 && !has_option (m, "bind") && !has_option (m, "rbind"))
    {
      /* What a tmpfs carries out; nosuid and nodev it always is.  */
      static const char *const flags[] = { "ro", "rw", "nosuid", "nodev", "noexec", "exec", "strictatime", "relatime",
                                           "noatime" };
      static const char *const data[] = { "mode=", "size=", "nr_inodes=", "nr_blocks=" };
      char **o;

      for (o = m->options; *o; o++)
        {
          bool known = false;

          for (j = 0; j < sizeof (flags) / sizeof (flags[0]) && !known; j++)
            known = strcmp (*o, flags[j]) == 0;
          for (j = 0; j < sizeof (data) / sizeof (data[0]) && !known; j++)
            known = mc_str_has_prefix (*o, data[j]) && (*o)[strlen (data[j])] != '\0';
          if (!known)
            return mc_make_error (err, 0, "config.json: `mounts[%zu]` (tmpfs on %s): option `%s` is not supported "
                                          "by minictr yet", i, m->destination, *o);
        }
      *kind = MOUNT_TMPFS;
      return 0;
    }
  if (strcmp (m->type, "bind") == 0 || has_option (m, "bind") || has_option (m, "rbind"))
    {
      /* What a bind mount carries out; nosuid and nodev it always is.  */
      static const char *const known[] = { "bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "exec",
                                           "private", "rprivate", "slave", "rslave" };
      char **o;

      for (o = m->options; *o; o++)
        {
          for (j = 0; j < sizeof (known) / sizeof (known[0]) && strcmp (*o, known[j]) != 0; j++)
            ;
          if (j == sizeof (known) / sizeof (known[0]))
            return mc_make_error (err, 0, "config.json: `mounts[%zu]` (bind on %s): option `%s` is not supported "
                                          "by minictr yet", i, m->destination, *o);
        }
      *kind = MOUNT_BIND;
      return 0;
    }
  return mc_make_error (err, 0, "config.json: `mounts[%zu]` (%s on %s) is not supported by minictr yet", i,
                        m->type[0] ? m->type : "no type", m->destination);
}

/* The namespaces a config may keep (the host's: those not in its list)
 * or join by path: network, ipc, uts, and pid and cgroup kept.  Not with
 * a user namespace (whose root has no rights on the host's; the cgroup
 * one aside: the container's own cgroup is what it sees), and never a
 * sysctl of a namespace that is the host's.  */
/* PATH (a namespace joined by path; NULL: none) is our own PROC one: the
 * host's, given by path.  */
static bool
ours_by_path (const char *path, const char *proc)
{
  cleanup_free char *self = NULL;
  struct stat a, b;

  if (path == NULL)
    return false;
  self = xasprintf ("/proc/self/ns/%s", proc);
  return stat (path, &a) == 0 && stat (self, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int
check_namespaces (const struct mc_oci_bundle *b, mc_error_t *err)
{
  static const struct
  {
    enum mc_oci_ns ns;
    const char *proc;
    const char *const prefixes[4];
  } owned[] = {
    { MC_OCI_NS_NETWORK, "net", { "net.", NULL } },
    { MC_OCI_NS_IPC, "ipc", { "kernel.msg", "kernel.sem", "kernel.shm", "fs.mqueue." } },
    { MC_OCI_NS_UTS, "uts", { "kernel.hostname", "kernel.domainname", NULL } },
  };
  const char *key;
  json_t *v;
  size_t i, j;
  int ns;

  for (ns = 0; ns < MC_OCI_NS_N; ns++)
    {
      if (ns == MC_OCI_NS_USER || ns == MC_OCI_NS_CGROUP || (b->ns[ns] && b->ns_path[ns] == NULL))
        continue;
      if (b->ns[MC_OCI_NS_USER])
        return mc_make_error (err, 0,
                              "config.json: a user namespace with the %s namespace %s is not supported by minictr",
                              mc_oci_ns_name ((enum mc_oci_ns) ns), b->ns[ns] ? "joined by path" : "of the host");
    }
  for (i = 0; i < sizeof (owned) / sizeof (owned[0]); i++)
    if (!b->ns[owned[i].ns] || ours_by_path (b->ns_path[owned[i].ns], owned[i].proc))
      json_object_foreach (b->sysctl, key, v)
        for (j = 0; j < 4 && owned[i].prefixes[j]; j++)
          if (mc_str_has_prefix (key, owned[i].prefixes[j]))
            return mc_make_error (err, 0, "config.json: `linux.sysctl.%s` would change the host's %s namespace", key,
                                  mc_oci_ns_name (owned[i].ns));
  return 0;
}

/* The namespaces of a config that are not new: kept (clone flags left
 * out) and, with a path, opened to be joined: by the process itself
 * (FDS, in RUN's join_fds), but the pid one (*PID_FD), which the process
 * that clones it joins for it (run.pid_join_fd).  */
static int
namespaces_kept (const struct mc_oci_bundle *b, struct mc_oci_run *run, int *fds, int *pid_fd, mc_error_t *err)
{
  static const struct
  {
    enum mc_oci_ns ns;
    int flag;
  } kept[] = {
    { MC_OCI_NS_NETWORK, CLONE_NEWNET }, { MC_OCI_NS_IPC, CLONE_NEWIPC }, { MC_OCI_NS_UTS, CLONE_NEWUTS },
    { MC_OCI_NS_PID, CLONE_NEWPID },
  };
  size_t i;

  for (i = 0; i < sizeof (kept) / sizeof (kept[0]); i++)
    {
      const char *path = b->ns_path[kept[i].ns];
      int fd, type;

      if (b->ns[kept[i].ns] && path == NULL)
        continue;
      run->ns_kept |= kept[i].flag;
      if (path == NULL)
        continue;
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return mc_make_error (err, errno, "config.json: the %s namespace `%s`", mc_oci_ns_name (kept[i].ns), path);
      type = ioctl (fd, NS_GET_NSTYPE);
      if (kept[i].flag == CLONE_NEWPID)
        *pid_fd = fd;
      else
        {
          fds[run->n_join] = fd;
          run->join_fds[run->n_join] = fd;
          run->join_flags[run->n_join++] = kept[i].flag;
        }
      if (type != kept[i].flag)
        return mc_make_error (err, 0, "config.json: `%s` is not a %s namespace", path, mc_oci_ns_name (kept[i].ns));
    }
  return 0;
}

/* A console socket (conmon's, containerd's): connected by a path of any
 * length (through its directory's fd when over sun_path's 107 bytes).  */
static int
console_connect (const char *path, mc_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_free char *dir = xstrdup (path);
  cleanup_close int dfd = -1;
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char *slash = strrchr (dir, '/');
  int r;

  if (fd < 0)
    return mc_make_error (err, errno, "socket");
  if (strlen (path) < sizeof (sa.sun_path))
    memcpy (sa.sun_path, path, strlen (path) + 1);
  else
    {
      if (slash)
        *slash = '\0';
      dfd = open (slash ? (dir[0] ? dir : "/") : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        return mc_make_error (err, errno, "--console-socket `%s`", path);
      r = snprintf (sa.sun_path, sizeof (sa.sun_path), "/proc/self/fd/%d/%s", dfd, slash ? slash + 1 : path);
      if (r < 0 || (size_t) r >= sizeof (sa.sun_path))
        return mc_make_error (err, ENAMETOOLONG, "--console-socket `%s`", path);
    }
  if (connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0)
    return mc_make_error (err, errno, "--console-socket `%s`", path);
  r = fd;
  fd = -1;
  return r;
}

/* runc's rule: a terminal goes to a console socket, which is only for a
 * terminal.  */
static int
check_console (bool terminal, const char *console_socket, const char *what, mc_error_t *err)
{
  if (terminal && console_socket == NULL)
    return mc_make_error (err, 0, "%s asks for a terminal: it needs --console-socket", what);
  if (!terminal && console_socket)
    return mc_make_error (err, 0, "--console-socket without a terminal (%s)", what);
  return 0;
}

/* A systemd slice's cgroup path, as systemd nests it: "a-b.slice" is
 * "/a.slice/a-b.slice", "-.slice" the root.  NULL for a name that is not
 * a slice's.  */
static char *
slice_path (const char *slice)
{
  size_t len = strlen (slice), i;
  char *out;

  if (strcmp (slice, "-.slice") == 0)
    return xstrdup ("");
  if (len <= 6 || strcmp (slice + len - 6, ".slice") != 0 || slice[0] == '-' || strchr (slice, '/')
      || strstr (slice, "--") || slice[len - 7] == '-')
    return NULL;
  out = xstrdup ("");
  for (i = 0; i < len - 6; i++)
    if (slice[i] == '-')
      {
        char *next = xasprintf ("%s/%.*s.slice", out, (int) i, slice);

        free (out);
        out = next;
      }
  {
    char *next = xasprintf ("%s/%s", out, slice);

    free (out);
    out = next;
  }
  return out;
}

/* Where the container's cgroup goes.  cgroupsPath "/a/b/c" (from the
 * hierarchies' roots) or "a/b/c" (below the caller's cgroup): PARENT
 * "/a/b" or "a/b", NAME "c"; none: minictr's parent and the id.  With
 * SYSTEMD (--systemd-cgroup), "SLICE:PREFIX:NAME" as runc reads it: the
 * scope PREFIX-NAME.scope (*UNIT) in SLICE (*SLICE; system.slice when
 * empty), whose cgroup is PARENT the slice's path, NAME the unit.  */
static int
cgroup_place (const struct mc_oci_bundle *b, const char *root, const char *id, bool systemd, char **parent,
              char **name, char **unit, char **slice, mc_error_t *err)
{
  const char *slash, *p = b->cgroups_path, *c1, *c2;

  *unit = *slice = NULL;
  /* None, on a systemd host with cgroup2 alone: below the caller's
     cgroup (a login session's scope, a service's) no controller is
     delegated, so as minictr's own containers, a delegated scope of its
     own in minictr.slice, named after the root and the id ('+', which
     unit names lack, escaped as systemd escapes it).  */
  if (p == NULL && mc_systemd_wanted ())
    {
      cleanup_free char *esc = xmalloc (strlen (id) * 4 + 1);
      char *o = esc;
      const char *c;

      for (c = id; *c; c++)
        o += *c == '+' ? sprintf (o, "\\x2b") : sprintf (o, "%c", *c);
      /* (a unit's name is at most 255 bytes: a long id by its hash)  */
      if (strlen (esc) > 200)
        snprintf (esc, strlen (id) * 4 + 1, "%016" PRIx64, mc_hash64 (id));
      *slice = xstrdup ("minictr.slice");
      *unit = xasprintf ("minictr-runc-%08" PRIx32 "-%s.scope", (uint32_t) mc_hash64 (root), esc);
      *parent = xstrdup ("/minictr.slice");
      *name = xstrdup (*unit);
      return 0;
    }
  if (p == NULL)
    {
      const char *def = mc_cgroup_parent (err);

      if (def == NULL)
        return -1;
      *parent = xstrdup (def);
      *name = xstrdup (id);
      return 0;
    }
  if (systemd)
    {
      cleanup_free char *sp = NULL;

      c1 = strchr (p, ':');
      c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':') || c2[1] == '\0' || strchr (c2 + 1, '/'))
        return mc_make_error (err, 0, "config.json: `linux.cgroupsPath` `%s`: with --systemd-cgroup, want SLICE:PREFIX:NAME",
                              p);
      *slice = c1 == p ? xstrdup ("system.slice") : xstrndup (p, (size_t) (c1 - p));
      if ((sp = slice_path (*slice)) == NULL)
        {
          mc_make_error (err, 0, "config.json: `linux.cgroupsPath` `%s`: `%s` is not a slice's name", p, *slice);
          free (*slice);
          *slice = NULL;
          return -1;
        }
      if (strlen (c2 + 1) >= 6 && strcmp (c2 + 1 + strlen (c2 + 1) - 6, ".slice") == 0)
        {
          free (*slice);
          *slice = NULL;
          return mc_make_error (err, 0, "config.json: `linux.cgroupsPath` `%s`: a container in a slice of its own "
                                        "is not supported by minictr (a scope is)", p);
        }
      if (!mc_systemd_cgroup2_host ())
        {
          free (*slice);
          *slice = NULL;
          return mc_make_error (err, 0, "--systemd-cgroup: this host is not run by systemd with cgroup2 alone "
                                        "(a cgroupsPath /PARENT/NAME places the container without it)");
        }
      *unit = c2 == c1 + 1 ? xasprintf ("%s.scope", c2 + 1)
                           : xasprintf ("%.*s-%s.scope", (int) (c2 - c1 - 1), c1 + 1, c2 + 1);
      *parent = xstrdup (*sp ? sp : "/");
      *name = xstrdup (*unit);
      return 0;
    }
  slash = strrchr (p, '/');
  if (slash == NULL || slash[1] == '\0' || slash == p || strstr (p, "..") || strchr (p, ':'))
    return mc_make_error (err, 0, "config.json: `linux.cgroupsPath` `%s`: want /PARENT/NAME or PARENT/NAME%s", p,
                          strchr (p, ':') ? " (SLICE:PREFIX:NAME is systemd's form: --systemd-cgroup)" : "");
  *parent = xstrndup (p, (size_t) (slash - p));
  *name = xstrdup (slash + 1);
  return 0;
}

/* A process that holds the container's scope until its own process is
 * there (systemd makes a scope only for processes already running): it
 * waits on a pipe, and ends when we close it, or end.  *FD: the pipe's
 * end to close.  */
static pid_t
scope_holder (int *fd, mc_error_t *err)
{
  int p[2];
  pid_t pid;
  char c;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe"), -1;
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return mc_make_error (err, errno, "fork"), -1;
    }
  if (pid == 0)
    {
      close (p[1]);
      while (read (p[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (p[0]);
  *fd = p[1];
  return pid;
}

static void
scope_holder_end (pid_t pid, int fd)
{
  if (pid <= 0)
    return;
  close (fd);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* The bundle's limits as minictr's config keys: the one limits code.  */
static json_t *
limits_config (const struct mc_oci_bundle *b)
{
  static const char *const rl_names[] = {
    [RLIMIT_AS] = "as",         [RLIMIT_CORE] = "core",     [RLIMIT_CPU] = "cpu",
    [RLIMIT_DATA] = "data",     [RLIMIT_FSIZE] = "fsize",   [RLIMIT_LOCKS] = "locks",
    [RLIMIT_MEMLOCK] = "memlock", [RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",
    [RLIMIT_NOFILE] = "nofile", [RLIMIT_NPROC] = "nproc",   [RLIMIT_RSS] = "rss",
    [RLIMIT_RTPRIO] = "rtprio", [RLIMIT_RTTIME] = "rttime", [RLIMIT_SIGPENDING] = "sigpending",
    [RLIMIT_STACK] = "stack",
  };
  json_t *config = json_object (), *v;
  const char *key;
  size_t i;

  if (b->memory_limit > 0)
    json_object_set_new (config, "limits.memory", json_sprintf ("%" PRId64 "B", b->memory_limit));
  if (b->pids_limit > 0)
    json_object_set_new (config, "limits.processes", json_sprintf ("%" PRId64, b->pids_limit));
  /* linux.sysctl: the same keys as LXD's linux.sysctl.*, written by the
     same code (only those a container's namespaces own are taken).  */
  json_object_foreach (b->sysctl, key, v)
    {
      cleanup_free char *k = xasprintf ("linux.sysctl.%s", key);

      json_object_set (config, k, v);
    }
  for (i = 0; i < b->n_rlimits; i++)
    {
      cleanup_free char *k = xasprintf ("limits.kernel.%s", rl_names[b->rlimits[i].resource]);

      json_object_set_new (config, k,
                           json_sprintf ("%llu:%llu", (unsigned long long) b->rlimits[i].limit.rlim_cur,
                                         (unsigned long long) b->rlimits[i].limit.rlim_max));
    }
  return config;
}

/* memory.swap (memory and swap together): cgroup1's memsw limit; on
 * cgroup2 the swap alone.  */
static int
apply_swap (struct mc_cgroup *cg, const struct mc_oci_bundle *b, mc_error_t *err)
{
  char value[32];

  if (b->memory_swap == 0)
    return 0;
  if (mc_cgroup_layout (cg) == MC_CGROUP_V2)
    {
      if (b->memory_swap < 0)
        snprintf (value, sizeof (value), "max");
      else
        snprintf (value, sizeof (value), "%" PRId64, b->memory_swap - b->memory_limit);
      return mc_cgroup_write (cg, "memory.swap.max", value, err);
    }
  snprintf (value, sizeof (value), "%" PRId64, b->memory_swap);
  if (mc_cgroup_write (cg, "memory.memsw.limit_in_bytes", value, err) < 0)
    return mc_error_prefix (err, "linux.resources.memory.swap (the kernel may account no swap)");
  return 0;
}

/* linux.resources.cpu, as given (shares, quota and period, cpusets):
 * cgroup1's files, or cgroup2's with the shares as a weight by runc's
 * conversion (2..262144 onto 1..10000).  */
static int
apply_cpu (struct mc_cgroup *cg, const struct mc_oci_bundle *b, mc_error_t *err)
{
  bool v2 = mc_cgroup_layout (cg) == MC_CGROUP_V2;
  char value[64];

  if (b->cpu_shares)
    {
      if (v2)
        snprintf (value, sizeof (value), "%" PRIu64, 1 + ((b->cpu_shares - 2) * 9999) / 262142);
      else
        snprintf (value, sizeof (value), "%" PRIu64, b->cpu_shares);
      if (mc_cgroup_write (cg, v2 ? "cpu.weight" : "cpu.shares", value, err) < 0)
        return mc_error_prefix (err, "linux.resources.cpu.shares");
    }
  if (b->cpu_quota || b->cpu_period)
    {
      if (v2)
        {
          char quota[24];

          if (b->cpu_quota > 0)
            snprintf (quota, sizeof (quota), "%" PRId64, b->cpu_quota);
          else
            snprintf (quota, sizeof (quota), "max");
          /* Without a period, the quota alone: the cgroup's period stays.  */
          if (b->cpu_period)
            snprintf (value, sizeof (value), "%s %" PRIu64, quota, b->cpu_period);
          else
            snprintf (value, sizeof (value), "%s", quota);
          if (mc_cgroup_write (cg, "cpu.max", value, err) < 0)
            return mc_error_prefix (err, "linux.resources.cpu");
        }
      else
        {
          if (b->cpu_period)
            {
              snprintf (value, sizeof (value), "%" PRIu64, b->cpu_period);
              if (mc_cgroup_write (cg, "cpu.cfs_period_us", value, err) < 0)
                return mc_error_prefix (err, "linux.resources.cpu.period");
            }
          if (b->cpu_quota)
            {
              snprintf (value, sizeof (value), "%" PRId64, b->cpu_quota);
              if (mc_cgroup_write (cg, "cpu.cfs_quota_us", value, err) < 0)
                return mc_error_prefix (err, "linux.resources.cpu.quota");
            }
        }
    }
  if (b->cpu_cpus && mc_cgroup_write (cg, "cpuset.cpus", b->cpu_cpus, err) < 0)
    return mc_error_prefix (err, "linux.resources.cpu.cpus");
  if (b->cpu_mems && mc_cgroup_write (cg, "cpuset.mems", b->cpu_mems, err) < 0)
    return mc_error_prefix (err, "linux.resources.cpu.mems");
  return 0;
}

/* The cpu resources as state.json keeps them, for `update` to apply
 * again after the whole limits set (which resets cpu).  */
static json_t *
cpu_state (const struct mc_oci_bundle *b)
{
  json_t *o = json_pack ("{s:I, s:I, s:I}", "shares", (json_int_t) b->cpu_shares, "quota", (json_int_t) b->cpu_quota,
                         "period", (json_int_t) b->cpu_period);

  if (b->cpu_cpus)
    json_object_set_new (o, "cpus", json_string (b->cpu_cpus));
  if (b->cpu_mems)
    json_object_set_new (o, "mems", json_string (b->cpu_mems));
  return o;
}

/* B's cpu resources: those it was given over those ST kept.  */
static void
cpu_merge (struct mc_oci_bundle *b, json_t *st)
{
  if (b->cpu_shares == 0)
    b->cpu_shares = (uint64_t) json_integer_value (json_object_get (st, "shares"));
  if (b->cpu_quota == 0)
    b->cpu_quota = json_integer_value (json_object_get (st, "quota"));
  if (b->cpu_period == 0)
    b->cpu_period = (uint64_t) json_integer_value (json_object_get (st, "period"));
  if (b->cpu_cpus == NULL && json_is_string (json_object_get (st, "cpus")))
    b->cpu_cpus = xstrdup (json_string_value (json_object_get (st, "cpus")));
  if (b->cpu_mems == NULL && json_is_string (json_object_get (st, "mems")))
    b->cpu_mems = xstrdup (json_string_value (json_object_get (st, "mems")));
}

static int
no_known (pid_t init, void *data, mc_error_t *err)
{
  (void) init;
  (void) data;
  (void) err;
  return 0;
}

static int
write_json_at (int dirfd, const char *name, json_t *doc, mc_error_t *err)
{
  cleanup_free char *text = json_dumps (doc, JSON_COMPACT);

  if (text == NULL)
    return mc_make_error (err, ENOMEM, "%s", name);
  return mc_write_file_atomic_at (dirfd, name, text, strlen (text), 0600, err);
}

/* The bind mounts' sources, freed on every way out of create_in.  */
struct disks
{
  struct mc_disk *d;
  size_t n;
};

static void
disks_free (struct disks *ds)
{
  size_t i;

  for (i = 0; i < ds->n; i++)
    free (ds->d[i].source);
  free (ds->d);
}

static void
seccomp_freep (struct mc_oci_seccomp **f)
{
  mc_oci_seccomp_free (*f);
}

static void
close_fds (int (*fds)[4])
{
  size_t i;

  for (i = 0; i < 4; i++)
    if ((*fds)[i] >= 0)
      close ((*fds)[i]);
}

static int
create_in (int cfd, const char *root, const char *cdir, const char *id, struct mc_oci_bundle *b,
           const char *pid_file, const char *console_socket, bool systemd_cgroup, struct mc_cgroup **cgp,
           mc_error_t *err)
{
  cleanup_free char *unit = NULL, *slice = NULL;
  cleanup_close int pid_ns = -1;
  pid_t holder = -1;
  int holder_fd = -1;
  struct mc_oci_run run = { .root = b->root, .root_readonly = b->root_readonly, .hostname = b->hostname,
                            .groups = b->additional_gids, .n_groups = b->n_additional_gids, .umask = b->umask,
                            .no_new_privileges = b->no_new_privileges, .has_oom_score_adj = b->has_oom_score_adj,
                            .oom_score_adj = b->oom_score_adj, .masked = b->masked_paths,
                            .readonly = b->readonly_paths, .start_fifo = -1, .console_sock = -1,
                            .console_rows = b->console_rows, .console_cols = b->console_cols,
                            .cgroupns_host = !b->ns[MC_OCI_NS_CGROUP] };
  cleanup_close int console = -1;
  __attribute__ ((cleanup (seccomp_freep))) struct mc_oci_seccomp *filter = NULL;
  __attribute__ ((cleanup (close_fds))) int ns_fds[4] = { -1, -1, -1, -1 };
  struct mc_child_spec spec = { 0 };
  cleanup_free char *parent = NULL, *name = NULL;
  char created[64];
  __attribute__ ((cleanup (disks_free))) struct disks ds = { 0 };
  struct mc_disk *disks;
  cleanup_json json_t *config = NULL, *oci = NULL, *state = NULL;
  cleanup_close int fifo = -1;
  unsigned long long started;
  enum mount_kind kind = MOUNT_BUILTIN;
  size_t i;
  pid_t pid;

  memcpy (run.caps, b->caps, sizeof (run.caps));
  disks = ds.d = xmalloc0 ((b->n_mounts + 1) * sizeof (*disks));
  for (i = 0; i < b->n_mounts; i++)
    {
      struct mc_oci_mount *m = &b->mounts[i];

      if (classify_mount (m, i, &kind, err) < 0)
        return -1;
      if (kind == MOUNT_MQUEUE)
        run.mqueue = true;
      /* /sys/fs/cgroup as the config says: minictr mounts its own, made
         read-only when asked.  */
      if (kind == MOUNT_BUILTIN && strcmp (m->destination, "/sys/fs/cgroup") == 0 && !has_option (m, "rw"))
        run.cgroup_readonly = true;
      if (kind == MOUNT_TMPFS)
        {
          disks[spec.n_disks].path = m->destination;
          disks[spec.n_disks].tmpfs = true;
          disks[spec.n_disks].options = m->options;
          ds.n = ++spec.n_disks;
          continue;
        }
      if (kind != MOUNT_BIND)
        continue;
      disks[spec.n_disks].source = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", b->dir, m->source);
      ds.n = spec.n_disks + 1;
      disks[spec.n_disks].path = m->destination;
      disks[spec.n_disks].readonly = has_option (m, "ro");
      disks[spec.n_disks].nonrecursive = !has_option (m, "rbind");
      disks[spec.n_disks].noexec = has_option (m, "noexec");
      spec.n_disks++;
    }
  /* The fifo is opened from inside, as the process's user, by its fd:
     writable by anyone (the directory lets no one else reach it).  */
  if (mkdirat (cfd, "rootfs", 0700) < 0 || mkfifoat (cfd, "exec.fifo", 0622) < 0
      || fchmodat (cfd, "exec.fifo", 0622, 0) < 0)
    return mc_make_error (err, errno, "`%s`", cdir);
  fifo = openat (cfd, "exec.fifo", O_PATH | O_CLOEXEC);
  if (fifo < 0)
    return mc_make_error (err, errno, "`%s/exec.fifo`", cdir);
  run.start_fifo = fifo;
  if (mc_oci_seccomp_compile (b->seccomp, &run.seccomp, err) < 0)
    return -1;
  filter = run.seccomp;
  if (namespaces_kept (b, &run, ns_fds, &pid_ns, err) < 0)
    return -1;
  if (console_socket && (console = run.console_sock = console_connect (console_socket, err)) < 0)
    return -1;
  if (cgroup_place (b, root, id, systemd_cgroup, &parent, &name, &unit, &slice, err) < 0)
    return -1;
  config = limits_config (b);
  if (unit)
    {
      cleanup_free char *what = xasprintf ("minictr-runc container %s", id);

      if ((holder = scope_holder (&holder_fd, err)) < 0
          || mc_systemd_scope_start (unit, slice, what, holder, err) < 0
          || mc_cgroup_open (parent, name, cgp, err) < 0)
        {
          /* (a scope made is systemd's to remove once it is empty)  */
          scope_holder_end (holder, holder_fd);
          return -1;
        }
    }
  else if (mc_cgroup_create (parent, name, cgp, err) < 0)
    return -1;
  if (mc_limits_apply_new (*cgp, config, err) < 0 || apply_swap (*cgp, b, err) < 0 || apply_cpu (*cgp, b, err) < 0)
    {
      scope_holder_end (holder, holder_fd);
      return -1;
    }
  oci = json_pack ("{s:[], s:[], s:s, s:s, s:I, s:I}", "argv", "env", "cwd", b->cwd, "user", "", "uid",
                   (json_int_t) b->uid, "gid", (json_int_t) b->gid);
  for (i = 0; b->args[i]; i++)
    json_array_append_new (json_object_get (oci, "argv"), json_string (b->args[i]));
  for (i = 0; b->env[i]; i++)
    json_array_append_new (json_object_get (oci, "env"), json_string (b->env[i]));
  spec.name = (char *) id;
  spec.cdir = (char *) cdir;
  spec.privileged = !b->ns[MC_OCI_NS_USER];
  if (spec.privileged)
    mc_idmap_set_init (&spec.idmap, 0, UINT32_MAX);
  else
    {
      uint32_t host0;

      spec.idmap = b->idmap;
      if (!mc_idmap_to_host (&b->idmap.uid, 0, &host0))
        {
          scope_holder_end (holder, holder_fd);
          return mc_make_error (err, 0, "config.json: `linux.uidMappings` maps no root (container id 0)");
        }
      spec.idmap_base = host0;
      spec.idmap_size = 1;
    }
  spec.console_fd = -1;
  spec.cgroup = *cgp;
  spec.config = config;
  spec.disks = disks;
  spec.oci = oci;
  spec.run = &run;
  run.pid_join_fd = pid_ns;
  run.hooks = b->hooks;
  run.annotations = b->annotations;
  run.id = id;
  run.bundle = b->dir;
  pid = mc_spawn_init (&spec, no_known, NULL, NULL, err);
  /* The scope holds the container's process now: the holder goes.  */
  scope_holder_end (holder, holder_fd);
  if (pid < 0)
    return -1;
  started = start_time_of (pid);
  if (started == 0)
    return mc_make_error (err, 0, "container `%s`: its process ended at once", id);
  mc_format_now_ns (created, sizeof (created));
  state = json_pack ("{s:s, s:s, s:i, s:s, s:s, s:O, s:I, s:{s:s, s:s, s:s, s:b}, s:O, s:I}", "ociVersion",
                     "1.0.2", "id", id, "pid", (int) pid, "bundle", b->dir, "created", created, "annotations",
                     b->annotations, "start_time", (json_int_t) started, "cgroup", "parent", parent, "name", name,
                     "placement", mc_cgroup_placement (*cgp), "minictr_parent", b->cgroups_path == NULL && !unit, "limits",
                     config, "memory_swap", (json_int_t) b->memory_swap);
  if (state && unit)
    json_object_set_new (json_object_get (state, "cgroup"), "systemd_unit", json_string (unit));
  /* exec's processes get the same filter; start and delete run the
     hooks.  */
  if (state && b->seccomp)
    json_object_set (state, "seccomp", b->seccomp);
  if (state && b->hooks)
    json_object_set (state, "hooks", b->hooks);
  if (state)
    json_object_set_new (state, "cpu", cpu_state (b));
  if (write_json_at (cfd, "state.json", state, err) < 0)
    {
      kill (pid, SIGKILL);
      return -1;
    }
  if (pid_file)
    {
      char text[32];

      snprintf (text, sizeof (text), "%d", (int) pid);
      if (mc_write_file_atomic_at (AT_FDCWD, pid_file, text, strlen (text), 0644, err) < 0)
        {
          kill (pid, SIGKILL);
          return -1;
        }
    }
  /* prestart and createRuntime: the container's namespaces and tree are
     made, its process waits for `start` (runc runs them before its
     pivot_root; here the tree is complete).  A failure removes it.  */
  if (b->hooks)
    {
      cleanup_json json_t *hs = mc_oci_hook_state (b->annotations, id, "creating", pid, b->dir);

      if (mc_oci_run_hooks (b->hooks, "prestart", hs, false, err) < 0
          || mc_oci_run_hooks (b->hooks, "createRuntime", hs, false, err) < 0)
        {
          kill (pid, SIGKILL);
          if (pid_file)
            unlink (pid_file);
          return -1;
        }
    }
  return 0;
}

int
mc_oci_create (const char *root, const char *id, const char *bundle, const char *pid_file,
               const char *console_socket, bool systemd_cgroup, mc_error_t *err)
{
  struct mc_oci_bundle b;
  cleanup_free char *cdir = NULL;
  cleanup_close int cfd = -1;
  struct mc_cgroup *cg = NULL;
  mc_error_t e = NULL;
  int r;

  if (check_id (id, err) < 0)
    return -1;
  if (mc_oci_bundle_read (bundle, &b, err) < 0 || check_namespaces (&b, err) < 0
      || check_console (b.terminal, console_socket, "config.json's `process.terminal`", err) < 0)
    {
      mc_oci_bundle_release (&b);
      return -1;
    }
  cdir = xasprintf ("%s/%s", root, id);
  /* --root and its parents made as needed (containerd's shim names
     ROOT/NAMESPACE).  */
  if (mc_mkdir_p (root, 0700, err) < 0)
    {
      mc_oci_bundle_release (&b);
      return -1;
    }
  if (mkdir (cdir, 0700) < 0)
    {
      r = errno == EEXIST ? mc_make_error (err, 0, "container `%s` already exists", id)
                          : mc_make_error (err, errno, "`%s`", cdir);
      mc_oci_bundle_release (&b);
      return r;
    }
  cfd = open (cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  r = cfd < 0 ? mc_make_error (err, errno, "`%s`", cdir) : create_in (cfd, root, cdir, id, &b, pid_file, console_socket, systemd_cgroup, &cg, err);
  if (r < 0)
    {
      /* Nothing is left of it.  */
      if (cg && (mc_cgroup_kill (cg, &e) < 0 || mc_cgroup_destroy (cg, &e) < 0
                 || (b.cgroups_path == NULL && !mc_systemd_wanted () && mc_cgroup_remove_parent_of (cg, &e) < 0)))
        mc_error_release (&e);
      if (mc_rm_rf_at (AT_FDCWD, cdir, &e) < 0)
        mc_error_release (&e);
    }
  mc_oci_bundle_release (&b);
  if (cg)
    mc_cgroup_free (cg);
  return r;
}

/* ---- the others ------------------------------------------------------------- */

struct container
{
  char *cdir;
  json_t *state;
  pid_t pid; /* 0: not running (gone, a zombie, or another process now) */
  const char *status;
  struct mc_cgroup *cg;
};

static void
container_release (struct container *c)
{
  free (c->cdir);
  json_decref (c->state);
  if (c->cg)
    mc_cgroup_free (c->cg);
}

static int
container_load (const char *root, const char *id, struct container *c, mc_error_t *err)
{
  cleanup_free char *text = NULL, *path = NULL, *fifo = NULL;
  json_t *cg;
  size_t len;
  pid_t pid;
  struct stat st;

  memset (c, 0, sizeof (*c));
  if (check_id (id, err) < 0)
    return -1;
  c->cdir = xasprintf ("%s/%s", root, id);
  path = xasprintf ("%s/state.json", c->cdir);
  if (mc_read_file_at (AT_FDCWD, path, STATE_MAX, &text, &len, err) < 0)
    {
      if ((*err)->status == ENOENT)
        {
          mc_error_release (err);
          return mc_make_error (err, 0, "container `%s` does not exist", id);
        }
      return -1;
    }
  c->state = json_loadb (text, len, 0, NULL);
  cg = json_object_get (c->state, "cgroup");
  if (c->state == NULL || !json_is_integer (json_object_get (c->state, "pid")) || !json_is_object (cg))
    return mc_make_error (err, EINVAL, "`%s`: not a container's state", path);
  if (mc_cgroup_open_placed (json_string_value (json_object_get (cg, "placement")),
                             json_string_value (json_object_get (cg, "parent")),
                             json_string_value (json_object_get (cg, "name")), &c->cg, err)
      < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      mc_error_release (err);
    }
  pid = (pid_t) json_integer_value (json_object_get (c->state, "pid"));
  if (pid > 0 && json_integer_value (json_object_get (c->state, "start_time")) > 0
      && start_time_of (pid) == (unsigned long long) json_integer_value (json_object_get (c->state, "start_time")))
    c->pid = pid;
  fifo = xasprintf ("%s/exec.fifo", c->cdir);
  if (c->pid == 0)
    c->status = "stopped";
  else if (fstatat (AT_FDCWD, fifo, &st, AT_SYMLINK_NOFOLLOW) == 0)
    c->status = "created";
  else
    {
      bool frozen = false;
      mc_error_t e = NULL;

      if (c->cg && mc_cgroup_frozen (c->cg, &frozen, &e) < 0)
        mc_error_release (&e);
      c->status = frozen ? "paused" : "running";
    }
  return 0;
}

int
mc_oci_start (const char *root, const char *id, mc_error_t *err)
{
  struct container c;
  cleanup_free char *fifo = NULL;
  cleanup_close int fd = -1;
  cleanup_close int pidfd = -1;
  char byte;
  ssize_t n;
  int r = -1;

  if (container_load (root, id, &c, err) < 0)
    goto out;
  if (strcmp (c.status, "created") != 0)
    {
      mc_make_error (err, 0, "container `%s` is %s, not created: it can be started once", id, c.status);
      goto out;
    }
  fifo = xasprintf ("%s/exec.fifo", c.cdir);
  /* The process waits in its open for writing; ours lets it through,
     its byte says it got there.  Should it die first, its pidfd says so.  */
  fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  pidfd = (int) syscall (SYS_pidfd_open, c.pid, 0);
  if (fd < 0 || pidfd < 0)
    {
      mc_make_error (err, errno, "`%s`", fifo);
      goto out;
    }
  n = -1;
  for (;;)
    {
      struct pollfd p[2] = { { fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };

      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[0].revents & POLLIN)
        {
          n = read (fd, &byte, 1);
          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
          break;
        }
      if (p[1].revents)
        {
          n = 0;
          break;
        }
    }
  unlink (fifo);
  if (n != 1)
    {
      mc_make_error (err, n < 0 ? errno : 0, "container `%s`: its process went away before it started", id);
      goto out;
    }
  if (json_object_get (c.state, "hooks"))
    {
      cleanup_json json_t *hs = mc_oci_hook_state (json_object_get (c.state, "annotations"), id, "running", c.pid,
                                            json_string_value (json_object_get (c.state, "bundle")));

      mc_oci_run_hooks (json_object_get (c.state, "hooks"), "poststart", hs, true, NULL);
    }
  r = 0;
out:
  container_release (&c);
  return r;
}

json_t *
mc_oci_state (const char *root, const char *id, mc_error_t *err)
{
  struct container c;
  json_t *out = NULL;

  if (container_load (root, id, &c, err) == 0)
    out = json_pack ("{s:O, s:s, s:s, s:i, s:O, s:O, s:O}", "ociVersion", json_object_get (c.state, "ociVersion"),
                     "id", id, "status", c.status, "pid", (int) c.pid, "bundle", json_object_get (c.state, "bundle"),
                     "created", json_object_get (c.state, "created"), "annotations",
                     json_object_get (c.state, "annotations"));
  container_release (&c);
  return out;
}

int
mc_oci_kill (const char *root, const char *id, int sig, bool all, mc_error_t *err)
{
  struct container c;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  int r = -1;

  if (container_load (root, id, &c, err) < 0)
    goto out;
  if (c.pid == 0 && !all)
    {
      mc_make_error (err, 0, "container `%s` is not running", id);
      goto out;
    }
  if (all && c.cg)
    {
      if (mc_cgroup_pids (c.cg, &pids, &n, err) < 0)
        goto out;
      for (i = 0; i < n; i++)
        if (pids[i] > 0)
          kill (pids[i], sig);
    }
  else if (c.pid == 0)
    {
      mc_make_error (err, 0, "container `%s` is not running", id);
      goto out;
    }
  else if (kill (c.pid, sig) < 0)
    {
      mc_make_error (err, errno, "signal container `%s`", id);
      goto out;
    }
  r = 0;
out:
  container_release (&c);
  return r;
}

int
mc_oci_delete (const char *root, const char *id, bool force, mc_error_t *err)
{
  struct container c;
  int r = -1;

  if (container_load (root, id, &c, err) < 0)
    {
      /* Deleting what is not there, forced, is done (runc's).  */
      if (force && *err && strstr ((*err)->msg, "does not exist"))
        {
          mc_error_release (err);
          r = 0;
        }
      goto out;
    }
  if (strcmp (c.status, "stopped") != 0 && strcmp (c.status, "created") != 0 && !force)
    {
      mc_make_error (err, 0, "container `%s` is %s: stop it first, or delete --force", id, c.status);
      goto out;
    }
  if (c.cg == NULL && c.pid > 0)
    kill (c.pid, SIGKILL);
  if (c.cg && (mc_cgroup_kill (c.cg, err) < 0 || mc_cgroup_destroy (c.cg, err) < 0))
    goto out;
  /* minictr's parent goes with its last container, as for minictr's own
     (a parent the bundle named is not ours to remove).  */
  if (c.cg && json_is_true (json_object_get (json_object_get (c.state, "cgroup"), "minictr_parent"))
      && mc_cgroup_remove_parent_of (c.cg, err) < 0)
    goto out;
  if (json_object_get (c.state, "hooks"))
    {
      cleanup_json json_t *hs = mc_oci_hook_state (json_object_get (c.state, "annotations"), id, "stopped", 0,
                                            json_string_value (json_object_get (c.state, "bundle")));

      mc_oci_run_hooks (json_object_get (c.state, "hooks"), "poststop", hs, true, NULL);
    }
  r = mc_rm_rf_at (AT_FDCWD, c.cdir, err);
out:
  container_release (&c);
  return r;
}

int
mc_oci_pause (const char *root, const char *id, bool pause, mc_error_t *err)
{
  struct container c;
  int r = -1;

  if (container_load (root, id, &c, err) < 0)
    goto out;
  if (strcmp (c.status, pause ? "running" : "paused") != 0 || c.cg == NULL)
    {
      mc_make_error (err, 0, "container `%s` is %s, not %s", id, c.status, pause ? "running" : "paused");
      goto out;
    }
  r = mc_cgroup_freeze (c.cg, pause, err);
out:
  container_release (&c);
  return r;
}

json_t *
mc_oci_pids (const char *root, const char *id, mc_error_t *err)
{
  struct container c;
  cleanup_free pid_t *pids = NULL;
  json_t *out = NULL;
  size_t n = 0, i;

  if (container_load (root, id, &c, err) < 0)
    goto out;
  if (c.cg && mc_cgroup_pids (c.cg, &pids, &n, err) < 0)
    goto out;
  out = json_array ();
  for (i = 0; i < n; i++)
    json_array_append_new (out, json_integer (pids[i]));
out:
  container_release (&c);
  return out;
}

/* ---- exec ------------------------------------------------------------------- */

/* The namespaces of PID that are not ours: those exec joins.  */
static int
ns_flags_of (pid_t pid, int *flags, mc_error_t *err)
{
  static const struct
  {
    const char *name;
    int flag;
  } nss[] = {
    { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },       { "net", CLONE_NEWNET },
    { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
  };
  size_t i;

  *flags = 0;
  for (i = 0; i < sizeof (nss) / sizeof (nss[0]); i++)
    {
      char mine[64], theirs[64];
      struct stat a, b;

      snprintf (mine, sizeof (mine), "/proc/self/ns/%s", nss[i].name);
      snprintf (theirs, sizeof (theirs), "/proc/%d/ns/%s", (int) pid, nss[i].name);
      if (stat (mine, &a) < 0 || stat (theirs, &b) < 0)
        return mc_make_error (err, errno, "the %s namespace of process %d", nss[i].name, (int) pid);
      if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
        *flags |= nss[i].flag;
    }
  return 0;
}

struct exec_ctx
{
  const struct mc_oci_bundle *p;
  struct mc_oci_run run;
  int pidfd, ns_flags, sock;
  int *cg_fds;
  size_t n_cg_fds;
};

/* The command, in the container's namespaces (forked there by the
 * helper, so in its PID namespace too): its cgroup, terminal, directory,
 * rlimits, user and capabilities, then the program.  Whatever fails is
 * told on SOCK, which a successful execve closes.  */
__attribute__ ((noreturn)) static void
exec_command (struct exec_ctx *x)
{
  const struct mc_oci_bundle *p = x->p;
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char *found = NULL;
  mc_error_t err = NULL;
  int code = 126;
  size_t i;

  for (i = 0; p->env[i]; i++)
    if (mc_str_has_prefix (p->env[i], "PATH="))
      path = p->env[i] + 5;
  if (mc_cgroup_enter_self (x->cg_fds, x->n_cg_fds, &err) < 0
      || (x->run.console_sock >= 0
          && mc_oci_console (x->run.console_sock, x->run.console_rows, x->run.console_cols, &err) < 0))
    goto fail;
  if (chdir (p->cwd) < 0)
    {
      mc_make_error (&err, errno, "`%s` (process.cwd)", p->cwd);
      goto fail;
    }
  for (i = 0; i < p->n_rlimits; i++)
    if (setrlimit ((__rlimit_resource_t) p->rlimits[i].resource, &p->rlimits[i].limit) < 0)
      {
        mc_make_error (&err, errno, "`process.rlimits[%zu]`", i);
        goto fail;
      }
  /* As create: the program is found, or the exec fails here, with a
     message that names it.  */
  if ((found = mc_find_program (p->args[0], path)) == NULL)
    {
      mc_make_error (&err, ENOENT, "`%s` (process.args[0]): no such program in the container", p->args[0]);
      code = 127;
      goto fail;
    }
  /* The container's filter (or minictr's default, as its process got),
     while this process may still load it; then its user.  */
  if ((!x->run.seccomp                    ? mc_seccomp_apply_default (&err)
       : mc_oci_seccomp_last (&x->run) ? 0
                                         : mc_oci_seccomp_load (x->run.seccomp, &err))
          < 0
      || mc_oci_take_user (&x->run, p->uid, p->gid, &err) < 0)
    goto fail;
  /* A credential change resets "dumpable": until execve, this is the
     host's binary, holding host fds.  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      mc_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
      goto fail;
    }
  /* (with no_new_privs, the filter last: see mc_oci_seccomp_last)  */
  if (mc_oci_seccomp_last (&x->run) && mc_oci_seccomp_load (x->run.seccomp, &err) < 0)
    goto fail;
  if (x->run.console_sock >= 0)
    close (x->run.console_sock);
  mc_close_fds_from (3, -1, true);
  execve (found, p->args, p->env);
  mc_make_error (&err, errno, "exec `%s`", found);
fail:
  mc_sync_send (x->sock, MC_SYNC_ERROR, code, err->msg, -1);
  _exit (code);
}

/* The helper: joins the container's namespaces (all at once, by its
 * process's pidfd), forks the command there, tells its PID and, unless
 * detached, its end.  */
__attribute__ ((noreturn)) static void
exec_helper (struct exec_ctx *x, bool detach)
{
  mc_error_t err = NULL;
  int status;
  pid_t pid;

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    mc_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
  else if (mc_oci_oom_score_adj (&x->run, getpid (), &err) < 0)
    ;
  else if (setns (x->pidfd, x->ns_flags) < 0)
    mc_make_error (&err, errno, "join the container's namespaces");
  /* The container's root (from the host's): new files and ptys get
     owners it maps.  */
  else if ((x->ns_flags & CLONE_NEWUSER) && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    mc_make_error (&err, errno, "become the container's root");
  else if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    mc_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
  if (err)
    mc_sync_die (x->sock, &err);
  pid = fork ();
  if (pid < 0)
    {
      mc_make_error (&err, errno, "fork");
      mc_sync_die (x->sock, &err);
    }
  if (pid == 0)
    exec_command (x);
  if (x->run.console_sock >= 0)
    close (x->run.console_sock);
  mc_sync_send (x->sock, MC_SYNC_PID, (int) pid, NULL, -1);
  if (detach)
    _exit (0);
  mc_forward_signals (pid, true);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  mc_sync_send (x->sock, MC_SYNC_GO, status, NULL, -1);
  _exit (0);
}

/* The CLI's side: the command's host PID (into the pid file), then its
 * error, if any, and (attached) its end.  */
/* ---- exec -t without a console socket: the terminal is ours ------------------

   runc's exec -t for a user at a terminal: the process's pty master comes
   to us (a socket pair stands for the console socket), and its bytes go
   to and from our stdin and stdout, our terminal raw meanwhile, its size
   the pty's (again at each SIGWINCH).  */

struct tty_relay
{
  int rx;           /* our end of the pair the master comes over */
  int master;       /* -1 until it came, or once it closed */
  bool got;         /* it came */
  bool in_open;     /* our stdin not at its end yet */
  char in[4096];    /* read from our stdin, not yet taken by the master */
  size_t in_len, in_off;
  bool raw;         /* our stdin is a terminal we made raw */
  struct termios saved;
};

static volatile sig_atomic_t winched;

static void
on_winch (int sig)
{
  (void) sig;
  winched = 1;
}

static void
tty_relay_size (struct tty_relay *t)
{
  struct winsize ws;

  if (t->master >= 0 && ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (t->master, TIOCSWINSZ, &ws);
}

/* Copy what FROM has (one read) to TO: 1, or 0 at FROM's end (EIO: a pty
   master whose other end is closed), -1 on error.  */
static int
copy_once (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof (buf));

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n < 0 && errno == EIO)
    return 0;
  if (n <= 0)
    return (int) n;
  return mc_write_all (to, buf, (size_t) n) < 0 ? -1 : 1;
}

/* Relay until SOCK has a message: 1 then, -2 on error (errno set).  */
static int
tty_relay_until_msg (struct tty_relay *t, int sock)
{
  for (;;)
    {
      struct pollfd p[4] = { { sock, POLLIN, 0 }, { t->rx, POLLIN, 0 }, { -1, POLLIN, 0 }, { -1, POLLIN, 0 } };

      /* Our stdin is read only once the master took what came before
         (it is non-blocking): a command that reads nothing never stops
         its output reaching us.  */
      if (t->master >= 0)
        {
          p[2].fd = t->master;
          if (t->in_len > t->in_off)
            p[2].events |= POLLOUT;
          else if (t->in_open)
            p[3].fd = STDIN_FILENO;
        }
      if (t->got)
        p[1].fd = -1;
      if (winched)
        {
          winched = 0;
          tty_relay_size (t);
        }
      if (poll (p, 4, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return -2;
        }
      if (p[2].revents & POLLOUT)
        {
          ssize_t n = write (t->master, t->in + t->in_off, t->in_len - t->in_off);

          if (n > 0)
            t->in_off += (size_t) n;
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            t->in_off = t->in_len;
        }
      if ((p[2].revents & ~POLLOUT) && (p[2].revents & POLLIN ? copy_once (t->master, STDOUT_FILENO) : 0) <= 0)
        {
          /* The terminal's other end closed: the command is ending.  */
          close (t->master);
          t->master = -1;
        }
      if (p[3].revents)
        {
          ssize_t n = read (STDIN_FILENO, t->in, sizeof (t->in));

          if (n > 0)
            t->in_len = (size_t) n, t->in_off = 0;
          else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            t->in_open = false;
        }
      if (p[1].revents)
        {
          char name[16];
          int fd = -1;

          /* (its end closed with no master: the command failed first,
             and the sync socket says why)  */
          t->got = true;
          if (mc_recv_with_fd (t->rx, name, 9, &fd, true) <= 0 || fd < 0)
            continue;
          t->master = fd;
          fcntl (fd, F_SETFL, O_NONBLOCK);
          tty_relay_size (t);
        }
      if (p[0].revents)
        return 1;
    }
}

/* The rest of the command's output, once it has ended; our terminal as
   it was.  */
static void
tty_relay_drain (struct tty_relay *t)
{
  struct pollfd p = { t->master, POLLIN, 0 };

  while (t->master >= 0 && poll (&p, 1, 100) > 0 && copy_once (t->master, STDOUT_FILENO) > 0)
    ;
}

static int
exec_wait (struct exec_ctx *x, pid_t helper, const struct mc_oci_exec_opts *o, struct tty_relay *t, int *status,
           mc_error_t *err)
{
  struct mc_sync_msg msg;
  bool have_pid = false, ended = false;
  int r;

  *status = 0;
  mc_forward_signals (helper, t == NULL);
  while ((r = t ? tty_relay_until_msg (t, x->sock) : 1) > 0 && (r = mc_sync_recv (x->sock, &msg, NULL, err)) > 0)
    {
      if (msg.type == MC_SYNC_ERROR)
        {
          /* It never ran: no pid file names it.  */
          if (have_pid && o->pid_file)
            unlink (o->pid_file);
          return mc_make_error (err, 0, "%s", msg.text);
        }
      if (msg.type == MC_SYNC_PID && !have_pid)
        {
          char text[32];

          have_pid = true;
          snprintf (text, sizeof (text), "%d", msg.status);
          if (o->pid_file && mc_write_file_atomic_at (AT_FDCWD, o->pid_file, text, strlen (text), 0644, err) < 0)
            {
              kill (msg.status, SIGKILL);
              return -1;
            }
          /* Attached, the command's signals go to it straight.  */
          mc_forward_signals (msg.status, t == NULL);
        }
      else if (msg.type == MC_SYNC_GO)
        {
          *status = WIFSIGNALED (msg.status) ? 128 + WTERMSIG (msg.status) : WEXITSTATUS (msg.status);
          ended = true;
        }
    }
  if (t)
    tty_relay_drain (t);
  if (r < 0)
    return r == -2 ? mc_make_error (err, errno, "relay the terminal") : -1;
  if (!have_pid || (!o->detach && !ended))
    return mc_make_error (err, 0, "the exec helper died");
  return 0;
}

/* runc exec's process without --process: the bundle's own, with the
 * command line's ARGS and changes.  */
static int
exec_process_of (const struct container *c, const struct mc_oci_exec_opts *o, struct mc_oci_bundle *p,
                 mc_error_t *err)
{
  const char *bundle = json_string_value (json_object_get (c->state, "bundle"));
  size_t i, n;

  if (o->args == NULL || o->args[0] == NULL)
    return mc_make_usage_error (err, "exec: give --process FILE or a command");
  if (mc_oci_bundle_read (bundle ? bundle : "", p, err) < 0)
    return mc_error_prefix (err, "the container's bundle");
  for (i = 0; p->args[i]; i++)
    free (p->args[i]);
  free (p->args);
  for (n = 0; o->args[n]; n++)
    ;
  p->args = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    p->args[i] = xstrdup (o->args[i]);
  p->terminal = o->tty;
  if (o->cwd)
    {
      if (o->cwd[0] != '/')
        return mc_make_usage_error (err, "--cwd `%s` is not an absolute path", o->cwd);
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (n = 0; p->env[n]; n++)
    ;
  p->env = xrealloc (p->env, (n + o->n_env + 1) * sizeof (char *));
  for (i = 0; i < o->n_env; i++)
    p->env[n++] = xstrdup (o->env[i]);
  p->env[n] = NULL;
  if (o->user)
    {
      unsigned long uid, gid;
      char *end;

      errno = 0;
      uid = strtoul (o->user, &end, 10);
      gid = *end == ':' ? strtoul (end + 1, &end, 10) : 0;
      if (errno || *end || o->user[0] == '\0' || uid >= UINT32_MAX || gid >= UINT32_MAX)
        return mc_make_usage_error (err, "--user `%s`: want UID[:GID], numbers", o->user);
      p->uid = (uid_t) uid;
      p->gid = (gid_t) gid;
    }
  return 0;
}

int
mc_oci_exec (const char *root, const char *id, const struct mc_oci_exec_opts *o, int *status, mc_error_t *err)
{
  struct container c;
  struct mc_oci_bundle p;
  struct exec_ctx x = { .p = &p, .pidfd = -1, .sock = -1 };
  struct tty_relay relay = { .rx = -1, .master = -1, .in_open = true };
  int sv[2] = { -1, -1 }, tv[2] = { -1, -1 };
  int r = -1, st;
  bool own_tty = false;
  pid_t helper;

  memset (&p, 0, sizeof (p));
  if (container_load (root, id, &c, err) < 0)
    goto out;
  if (strcmp (c.status, "running") != 0 && strcmp (c.status, "created") != 0)
    {
      mc_make_error (err, 0, "container `%s` is %s: exec needs it created or running", id, c.status);
      goto out;
    }
  if ((o->process ? mc_oci_process_read (o->process, &p, err) : exec_process_of (&c, o, &p, err)) < 0)
    goto out;
  if (o->process && o->tty)
    p.terminal = true;
  /* A terminal with no console socket, attached: ours (runc's exec -t).  */
  own_tty = p.terminal && o->console_socket == NULL && !o->detach;
  if (!own_tty && check_console (p.terminal, o->console_socket, "the process", err) < 0)
    goto out;
  if (c.cg == NULL)
    {
      mc_make_error (err, 0, "container `%s`: its cgroup is gone", id);
      goto out;
    }
  /* The pidfd is the container's process's if it still runs after.  */
  x.pidfd = (int) syscall (SYS_pidfd_open, c.pid, 0);
  if (x.pidfd < 0 || start_time_of (c.pid) != (unsigned long long) json_integer_value (json_object_get (c.state, "start_time")))
    {
      mc_make_error (err, 0, "container `%s` is not running", id);
      goto out;
    }
  if (ns_flags_of (c.pid, &x.ns_flags, err) < 0
      || mc_cgroup_open_self_move_to (c.cg, false, NULL, &x.cg_fds, &x.n_cg_fds, err) < 0)
    goto out;
  x.run = (struct mc_oci_run) { .pid_join_fd = -1, .groups = p.additional_gids, .n_groups = p.n_additional_gids, .umask = p.umask,
                                .no_new_privileges = p.no_new_privileges, .has_oom_score_adj = p.has_oom_score_adj,
                                .oom_score_adj = p.oom_score_adj, .start_fifo = -1, .console_sock = -1,
                                .console_rows = p.console_rows, .console_cols = p.console_cols };
  memcpy (x.run.caps, p.caps, sizeof (x.run.caps));
  if (mc_oci_seccomp_compile (json_object_get (c.state, "seccomp"), &x.run.seccomp, err) < 0)
    goto out;
  if (o->console_socket && (x.run.console_sock = console_connect (o->console_socket, err)) < 0)
    goto out;
  if (own_tty)
    {
      if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tv) < 0)
        {
          mc_make_error (err, errno, "socketpair");
          goto out;
        }
      x.run.console_sock = tv[1];
      relay.rx = tv[0];
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      mc_make_error (err, errno, "socketpair");
      goto out;
    }
  fflush (stdout);
  fflush (stderr);
  helper = fork ();
  if (helper == 0)
    {
      close (sv[0]);
      x.sock = sv[1];
      exec_helper (&x, o->detach);
    }
  if (helper < 0)
    {
      mc_make_error (err, errno, "fork");
      goto out;
    }
  close (sv[1]);
  sv[1] = -1;
  x.sock = sv[0];
  if (own_tty)
    {
      struct sigaction sa = { .sa_handler = on_winch };
      struct termios raw;

      /* Only the command holds the other end now: its end is ours.  */
      close (x.run.console_sock);
      x.run.console_sock = -1;
      if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &relay.saved) == 0)
        {
          raw = relay.saved;
          cfmakeraw (&raw);
          relay.raw = tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0;
        }
      sigaction (SIGWINCH, &sa, NULL);
    }
  r = exec_wait (&x, helper, o, own_tty ? &relay : NULL, status, err);
  while (waitpid (helper, &st, 0) < 0 && errno == EINTR)
    ;
out:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (relay.rx >= 0)
    close (relay.rx);
  if (relay.master >= 0)
    close (relay.master);
  /* (our terminal as it was, on every way out)  */
  if (relay.raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &relay.saved);
  if (x.pidfd >= 0)
    close (x.pidfd);
  if (x.run.console_sock >= 0)
    close (x.run.console_sock);
  mc_cgroup_close_self_move (x.cg_fds, x.n_cg_fds);
  mc_oci_seccomp_free (x.run.seccomp);
  mc_oci_bundle_release (&p);
  container_release (&c);
  return r;
}

/* ---- update ----------------------------------------------------------------- */

int
mc_oci_update (const char *root, const char *id, json_t *resources, mc_error_t *err)
{
  struct container c;
  struct mc_oci_bundle b;
  json_t *limits, *mem = json_object_get (resources, "memory"), *pids = json_object_get (resources, "pids");
  cleanup_free char *cdir_state = NULL;
  cleanup_close int cfd = -1;
  int r = -1;

  memset (&b, 0, sizeof (b));
  if (container_load (root, id, &c, err) < 0 || mc_oci_resources_read (resources, &b, err) < 0)
    goto out;
  if (c.pid == 0 || c.cg == NULL)
    {
      mc_make_error (err, 0, "container `%s` is not running", id);
      goto out;
    }
  /* The limits are kept as minictr's config keys: those given change,
     the others stay, and the whole set is applied (one limits code).  */
  limits = json_object_get (c.state, "limits");
  if (!json_is_object (limits))
    {
      limits = json_object ();
      json_object_set_new (c.state, "limits", limits);
    }
  if (json_object_get (mem, "limit"))
    {
      if (b.memory_limit > 0)
        json_object_set_new (limits, "limits.memory", json_sprintf ("%" PRId64 "B", b.memory_limit));
      else
        json_object_del (limits, "limits.memory");
    }
  if (json_object_get (pids, "limit"))
    {
      if (b.pids_limit > 0)
        json_object_set_new (limits, "limits.processes", json_sprintf ("%" PRId64, b.pids_limit));
      else
        json_object_del (limits, "limits.processes");
    }
  if (b.memory_swap != 0)
    json_object_set_new (c.state, "memory_swap", json_integer (b.memory_swap));
  b.memory_swap = json_integer_value (json_object_get (c.state, "memory_swap"));
  cpu_merge (&b, json_object_get (c.state, "cpu"));
  json_object_set_new (c.state, "cpu", cpu_state (&b));
  b.memory_limit = -1;
  if (json_is_string (json_object_get (limits, "limits.memory")))
    b.memory_limit = strtoll (json_string_value (json_object_get (limits, "limits.memory")), NULL, 10);
  /* cgroup1 keeps memsw at or over the memory limit: raising both, the
     memsw first; lowering, the memory first.  */
  if (apply_swap (c.cg, &b, NULL) < 0 || mc_limits_apply (c.cg, limits, err) < 0 || apply_swap (c.cg, &b, err) < 0
      || apply_cpu (c.cg, &b, err) < 0)
    goto out;
  cfd = open (c.cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0)
    {
      mc_make_error (err, errno, "`%s`", c.cdir);
      goto out;
    }
  r = write_json_at (cfd, "state.json", c.state, err);
out:
  mc_oci_bundle_release (&b);
  container_release (&c);
  return r;
}
