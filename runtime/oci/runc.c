/* The OCI runtime's container commands (runc.h).  */
#include "runtime/oci/runc.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/limits.h"
#include "runtime/oci/bundle.h"
#include "runtime/start.h"
#include "lib/cleanup.h"
#include "lib/paths.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* What minictr always makes: every namespace but the user one.  */
static int
check_namespaces (const struct mc_oci_bundle *b, mc_error_t *err)
{
  int ns;

  for (ns = 0; ns < MC_OCI_NS_N; ns++)
    if (ns != MC_OCI_NS_USER && !b->ns[ns])
      return mc_make_error (err, 0,
                            "config.json: minictr gives every container its own %s namespace: add it to "
                            "`linux.namespaces`",
                            mc_oci_ns_name ((enum mc_oci_ns) ns));
  if (b->terminal)
    return mc_make_error (err, 0, "config.json: `process.terminal` (a console socket) is not supported by "
                                       "minictr yet");
  return 0;
}

/* cgroupsPath: "/a/b/c" (from the hierarchies' roots) or "a/b/c" (below
 * the caller's cgroup): PARENT "/a/b" or "a/b", NAME "c"; none: minictr's
 * parent and the id.  */
static int
cgroup_place (const struct mc_oci_bundle *b, const char *id, char **parent, char **name, mc_error_t *err)
{
  const char *slash, *p = b->cgroups_path;

  if (p == NULL)
    {
      const char *def = mc_cgroup_parent (err);

      if (def == NULL)
        return -1;
      *parent = xstrdup (def);
      *name = xstrdup (id);
      return 0;
    }
  slash = strrchr (p, '/');
  if (slash == NULL || slash[1] == '\0' || slash == p || strstr (p, "..") || strchr (p, ':'))
    return mc_make_error (err, 0, "config.json: `linux.cgroupsPath` `%s`: want /PARENT/NAME or PARENT/NAME", p);
  *parent = xstrndup (p, (size_t) (slash - p));
  *name = xstrdup (slash + 1);
  return 0;
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

static int
create_in (int cfd, const char *cdir, const char *id, struct mc_oci_bundle *b, const char *pid_file,
           struct mc_cgroup **cgp, mc_error_t *err)
{
  struct mc_oci_run run = { .root = b->root, .root_readonly = b->root_readonly, .hostname = b->hostname,
                            .groups = b->additional_gids, .n_groups = b->n_additional_gids, .umask = b->umask,
                            .no_new_privileges = b->no_new_privileges, .masked = b->masked_paths,
                            .readonly = b->readonly_paths, .start_fifo = -1 };
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
  if (cgroup_place (b, id, &parent, &name, err) < 0)
    return -1;
  config = limits_config (b);
  if (mc_cgroup_create (parent, name, cgp, err) < 0 || mc_limits_apply_new (*cgp, config, err) < 0
      || apply_swap (*cgp, b, err) < 0)
    return -1;
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
        return mc_make_error (err, 0, "config.json: `linux.uidMappings` maps no root (container id 0)");
      spec.idmap_base = host0;
      spec.idmap_size = 1;
    }
  spec.console_fd = -1;
  spec.cgroup = *cgp;
  spec.config = config;
  spec.disks = disks;
  spec.oci = oci;
  spec.run = &run;
  pid = mc_spawn_init (&spec, no_known, NULL, err);
  if (pid < 0)
    return -1;
  started = start_time_of (pid);
  if (started == 0)
    return mc_make_error (err, 0, "container `%s`: its process ended at once", id);
  mc_format_now_ns (created, sizeof (created));
  state = json_pack ("{s:s, s:s, s:i, s:s, s:s, s:O, s:I, s:{s:s, s:s, s:s, s:b}}", "ociVersion", "1.0.2", "id",
                     id, "pid", (int) pid, "bundle", b->dir, "created", created, "annotations", b->annotations,
                     "start_time", (json_int_t) started, "cgroup", "parent", parent, "name", name, "placement",
                     mc_cgroup_placement (*cgp), "minictr_parent", b->cgroups_path == NULL);
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
  return 0;
}

int
mc_oci_create (const char *root, const char *id, const char *bundle, const char *pid_file, mc_error_t *err)
{
  struct mc_oci_bundle b;
  cleanup_free char *cdir = NULL;
  cleanup_close int cfd = -1;
  struct mc_cgroup *cg = NULL;
  mc_error_t e = NULL;
  int r;

  if (check_id (id, err) < 0)
    return -1;
  if (mc_oci_bundle_read (bundle, &b, err) < 0 || check_namespaces (&b, err) < 0)
    {
      mc_oci_bundle_release (&b);
      return -1;
    }
  cdir = xasprintf ("%s/%s", root, id);
  if ((mkdir (root, 0700) < 0 && errno != EEXIST) || mkdir (cdir, 0700) < 0)
    {
      r = errno == EEXIST ? mc_make_error (err, 0, "container `%s` already exists", id)
                          : mc_make_error (err, errno, "`%s`", cdir);
      mc_oci_bundle_release (&b);
      return r;
    }
  cfd = open (cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  r = cfd < 0 ? mc_make_error (err, errno, "`%s`", cdir) : create_in (cfd, cdir, id, &b, pid_file, &cg, err);
  if (r < 0)
    {
      /* Nothing is left of it.  */
      if (cg && (mc_cgroup_kill (cg, &e) < 0 || mc_cgroup_destroy (cg, &e) < 0
                 || (b.cgroups_path == NULL && mc_cgroup_remove_parent_of (cg, &e) < 0)))
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
