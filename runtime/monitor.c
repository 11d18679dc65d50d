#include "runtime/monitor.h"
#include "runtime/quota.h"
#include "runtime/net/proxy.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/config/device-config.h"
#include "runtime/cgroup/devices.h"
#include "runtime/config/idmap-settle.h"
#include "runtime/config/idmap.h"
#include "runtime/cgroup/limits.h"
#include "images/manage.h"
#include "lib/paths.h"
#include "lib/testhook.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/start.h"
#include "runtime/state.h"
#include "lib/syscalls.h"
#include "runtime/cgroup/systemd.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


struct monitor
{
  struct mc_child_spec spec;
  int report_fd;   /* to the CLI until the first start is done */
  int master;      /* console pty master */
  int slave_keep;  /* our own open slave: the master never sees a hangup */
  int log_fd;
  uint64_t log_size;
  int listen_fd;   /* console.sock */
  int client_fd;
  pid_t init;
  int init_pidfd;
  int tree_ns;     /* the mount namespace the tree was built in, until the
                      start is reported (mc_spawn_init), or -1 */
  pid_t proxy;     /* the proxy devices' process, or 0 */
  bool nat_rules;  /* nat=true proxies' DNAT table made */
  /* Where the container's cgroup goes: below PLACEMENT (a /proc/PID/cgroup
   * text; NULL: the monitor's own cgroup) at CG_PARENT/NAME.  */
  char *placement;
  const char *cg_parent;
};

/* ---- console log and attach ------------------------------------------- */

static void
open_log (struct monitor *m)
{
  cleanup_free char *path = xasprintf ("%s/console.log", m->spec.cdir);
  struct stat st;

  m->log_fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  m->log_size = (m->log_fd >= 0 && fstat (m->log_fd, &st) == 0) ? (uint64_t) st.st_size : 0;
}

/* Bounded: past MC_CONSOLE_LOG_MAX the log becomes console.log.1.  */
static void
log_console (struct monitor *m, const char *buf, size_t n)
{
  if (m->log_fd < 0)
    return;
  if (m->log_size + n > MC_CONSOLE_LOG_MAX)
    {
      cleanup_free char *cur = xasprintf ("%s/console.log", m->spec.cdir);
      cleanup_free char *old = xasprintf ("%s/console.log.1", m->spec.cdir);

      close (m->log_fd);
      rename (cur, old);
      open_log (m);
      if (m->log_fd < 0)
        return;
    }
  if (mc_write_all (m->log_fd, buf, n) == 0)
    m->log_size += n;
}

static int
open_console_socket (struct monitor *m, mc_error_t *err)
{
  cleanup_free char *dir = mc_state_dir_of (m->spec.name, true, err);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };

  if (dir == NULL)
    return -1;
  if ((size_t) snprintf (sa.sun_path, sizeof (sa.sun_path), "%s/console.sock", dir) >= sizeof (sa.sun_path))
    return mc_make_error (err, 0, "console socket path too long");
  unlink (sa.sun_path);
  m->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (m->listen_fd < 0 || bind (m->listen_fd, (struct sockaddr *) &sa, sizeof (sa)) < 0
      || listen (m->listen_fd, 4) < 0)
    return mc_make_error (err, errno, "console socket `%s`", sa.sun_path);
  return 0;
}

static int
open_pty (struct monitor *m, mc_error_t *err)
{
  char *name = m->spec.console_path;

  m->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m->master < 0 || grantpt (m->master) < 0 || unlockpt (m->master) < 0
      || ptsname_r (m->master, name, sizeof (m->spec.console_path)) != 0)
    return mc_make_error (err, errno, "allocate the console pty");
  m->spec.console_fd = open (name, O_RDWR | O_NOCTTY);
  if (m->spec.console_fd < 0)
    return mc_make_error (err, errno, "open `%s`", name);
  /* While one slave fd stays open here, the master never reports EIO or
   * POLLHUP when the container closes its console, so the relay loop
   * never has to back off.  */
  m->slave_keep = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m->slave_keep < 0)
    return mc_make_error (err, errno, "open `%s`", name);
  /* The console belongs to the container's root, as in LXC.  */
  if (!m->spec.privileged
      && fchown (m->spec.console_fd, m->spec.idmap_base, m->spec.idmap_base) < 0)
    return mc_make_error (err, errno, "chown `%s`", name);
  fcntl (m->master, F_SETFL, O_NONBLOCK);
  return 0;
}

static void
relay_master (struct monitor *m)
{
  char buf[8192];
  ssize_t n = read (m->master, buf, sizeof (buf));

  if (n <= 0)
    return;
  log_console (m, buf, (size_t) n);
  if (m->client_fd >= 0 && mc_write_all (m->client_fd, buf, (size_t) n) < 0)
    {
      close (m->client_fd);
      m->client_fd = -1;
    }
}

static void
relay_client (struct monitor *m)
{
  char buf[4096];
  ssize_t n = read (m->client_fd, buf, sizeof (buf));

  if (n <= 0)
    {
      close (m->client_fd);
      m->client_fd = -1;
      return;
    }
  (void) mc_write_all (m->master, buf, (size_t) n);
}

static void
accept_client (struct monitor *m)
{
  int fd = accept4 (m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    return;
  /* One attached console at a time: the newest wins, as with a serial
   * line handed over.  */
  if (m->client_fd >= 0)
    close (m->client_fd);
  m->client_fd = fd;
}

/* Relay until init exits; returns its wait status.  */
static int
relay_until_exit (struct monitor *m)
{
  int status = 0;

  for (;;)
    {
      struct pollfd p[4] = { { m->init_pidfd, POLLIN, 0 }, { m->master, POLLIN, 0 },
                             { m->listen_fd, POLLIN, 0 }, { m->client_fd, POLLIN, 0 } };

      if (poll (p, m->client_fd >= 0 ? 4 : 3, -1) < 0 && errno != EINTR)
        break;
      if (p[1].revents)
        relay_master (m);
      if (p[2].revents & POLLIN)
        accept_client (m);
      if (m->client_fd >= 0 && p[3].revents)
        relay_client (m);
      if (p[0].revents & POLLIN)
        break;
    }
  while (waitpid (m->init, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void
report (struct monitor *m, mc_error_t *err)
{
  const char *msg = (err && *err) ? (*err)->msg : "OK";

  if (m->report_fd < 0)
    return;
  (void) mc_write_all (m->report_fd, msg, strlen (msg));
  close (m->report_fd);
  m->report_fd = -1;
}

/* The init exists, its tree is being built: the state is written now,
 * while the builder works (finish() removes it if the boot fails).  */
static int
record_state (pid_t init, void *data, mc_error_t *err)
{
  struct monitor *m = data;
  struct mc_run_state st = {
    .pid = init, .pid_start = mc_proc_start_time (init), .monitor = getpid (),
    .monitor_start = mc_proc_start_time (getpid ()), .started_at = (int64_t) time (NULL),
    .cgroup_placement = mc_cgroup_placement (m->spec.cgroup),
    .cgroup_parent = mc_cgroup_parent_of (m->spec.cgroup),
  };

  if (mc_state_write (m->spec.name, &st, err) < 0)
    return -1;
  mc_test_point ("start-state-recorded");
  return 0;
}

/* Once, before the first boot.  On a systemd host with pure cgroup v2
 * the monitor moves into a scope of the container's own, then into its
 * "monitor" sub-cgroup, and the container goes to "payload/NAME" beside
 * it (LXC 4 splits lxc.monitor.NAME and lxc.payload.NAME alike): the
 * payload gets every controller, the monitor is neither charged to the
 * container nor in reach of its root, and no login session, unit or
 * caller's cgroup decides where it lives.  Elsewhere the container goes
 * below the monitor's cgroup, the caller's (runtime/cgroup/cgroup.h).  */
static int
place (struct monitor *m, mc_error_t *err)
{
  cleanup_free char *unit = NULL, *what = NULL;
  const char *parent = mc_cgroup_parent (err);

  if (parent == NULL)
    return -1;
  if (!mc_systemd_wanted ())
    {
      m->cg_parent = parent;
      return 0;
    }
  unit = xasprintf ("%s-%s.scope", parent, m->spec.name);
  what = xasprintf ("minictr container %s", m->spec.name);
  if (mc_systemd_scope_enter (unit, what, err) < 0
      || mc_cgroup_split_self (MC_SCOPE_MONITOR, &m->placement, err) < 0)
    return -1;
  m->cg_parent = MC_SCOPE_PAYLOAD;
  return 0;
}

static int
boot (struct monitor *m, mc_error_t *err)
{
  if (mc_cgroup_create_placed (m->placement, m->cg_parent, m->spec.name, &m->spec.cgroup, err)
      < 0)
    return -1;
  mc_test_point ("start-cgroup-made");
  if (mc_limits_apply_new (m->spec.cgroup, m->spec.config, err) < 0
      || mc_devices_limit (m->spec.cgroup, m->spec.dev_rules, m->spec.n_dev_rules, err) < 0)
    return -1;
  /* Its cgroup2 cgroup is its root's to organise, as LXD and LXC do:
   * systemd in the container needs it.  */
  if (!m->spec.privileged
      && mc_cgroup_delegate (m->spec.cgroup, m->spec.idmap_base, m->spec.idmap_base, err) < 0)
    return -1;
  if (open_pty (m, err) < 0)
    return -1;
  m->init = mc_spawn_init (&m->spec, record_state, m, &m->tree_ns, err);
  close (m->spec.console_fd);
  m->spec.console_fd = -1;
  if (m->init < 0)
    return -1;
  m->init_pidfd = (int) syscall (SYS_pidfd_open, m->init, 0);
  if (m->init_pidfd < 0)
    return mc_make_error (err, errno, "pidfd_open");
  /* Proxy devices: their process listens before the start is reported;
   * nat=true ones are DNAT rules to the nics' addresses.  */
  if (m->spec.n_proxies)
    {
      struct in_addr *addrs = xmalloc0 (sizeof (*addrs) * (m->spec.n_nics + 1));
      size_t i, k = 0;
      int r;

      for (i = 0; i < m->spec.n_nics; i++)
        if (m->spec.nics[i].has_ipv4)
          addrs[k++] = m->spec.nics[i].addr;
      r = mc_proxy_nat_apply (m->spec.name, m->spec.proxies, m->spec.n_proxies, addrs, k, err);
      free (addrs);
      if (r < 0)
        return -1;
      m->nat_rules = true;
      if ((m->proxy = mc_proxy_spawn (m->spec.proxies, m->spec.n_proxies, m->init, err)) < 0)
        {
          m->proxy = 0;
          return -1;
        }
    }
  return 0;
}

/* Everything the container held on the host: its cgroup, its pty, the
 * host ends of its veth pairs.  The mounts live in namespaces that die
 * with their last process.  */
static void
teardown (struct monitor *m)
{
  mc_error_t err = NULL;

  mc_nic_detach (m->spec.nics, m->spec.n_nics);
  if (m->proxy > 0)
    {
      kill (m->proxy, SIGKILL);
      while (waitpid (m->proxy, NULL, 0) < 0 && errno == EINTR)
        ;
      m->proxy = 0;
    }
  if (m->nat_rules)
    {
      if (mc_proxy_nat_apply (m->spec.name, NULL, 0, NULL, 0, &err) < 0)
        mc_error_release (&err);
      m->nat_rules = false;
    }
  if (m->spec.cgroup)
    {
      if (mc_cgroup_kill (m->spec.cgroup, &err) < 0)
        mc_error_release (&err);
      if (mc_cgroup_destroy (m->spec.cgroup, &err) < 0)
        mc_error_release (&err);
      mc_cgroup_free (m->spec.cgroup);
      m->spec.cgroup = NULL;
    }
  if (m->init_pidfd >= 0)
    close (m->init_pidfd);
  if (m->master >= 0)
    close (m->master);
  if (m->slave_keep >= 0)
    close (m->slave_keep);
  m->init_pidfd = m->master = m->slave_keep = -1;
}

/* containers/NAME/last-exit.yaml: how init ended, for `info`.  */
static void
record_exit (struct monitor *m, int status)
{
  cleanup_free char *buf = NULL;
  cleanup_close int dfd = open (m->spec.cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char how[64], when[64];
  mc_error_t err = NULL;
  json_t *doc;
  size_t len;

  if (WIFSIGNALED (status))
    snprintf (how, sizeof (how), "killed by signal %d (%s)", WTERMSIG (status),
              sigabbrev_np (WTERMSIG (status)) ? sigabbrev_np (WTERMSIG (status)) : "?");
  else
    snprintf (how, sizeof (how), "exited with status %d", WEXITSTATUS (status));
  mc_format_time ((int64_t) time (NULL), when, sizeof (when));
  doc = json_pack ("{s:s, s:s}", "exit", how, "at", when);
  if (dfd >= 0 && mc_yaml_dump (doc, &buf, &len, &err) == 0)
    (void) mc_write_file_atomic_at (dfd, "last-exit.yaml", buf, len, 0600, &err);
  mc_error_release (&err);
  json_decref (doc);
}

/* In a PID namespace, reboot(2) ends init with SIGHUP for a restart and
 * SIGINT for halt or power-off (kernel/pid_namespace.c).  */
static bool
wants_reboot (int status)
{
  return WIFSIGNALED (status) && WTERMSIG (status) == SIGHUP;
}

/* An ephemeral container goes with its last stop.  A CLI command
 * holding the lock (`stop`) removes it itself once we are gone: waiting
 * for that lock here would deadlock with it.  */
static void
remove_ephemeral (struct monitor *m)
{
  struct mc_store store;
  mc_error_t err = NULL;
  int dfd, lock = -1;

  if (mc_store_open (&store, &err) < 0)
    {
      mc_error_release (&err);
      return;
    }
  dfd = mc_container_open_dir (&store, m->spec.name, &err);
  if (dfd >= 0)
    lock = mc_lock_at (dfd, ".lock", true, true, &err);
  if (lock >= 0 && mc_container_remove (&store, m->spec.name, &err) < 0)
    mc_error_release (&err);
  mc_error_release (&err);
  if (lock >= 0)
    close (lock);
  if (dfd >= 0)
    close (dfd);
  mc_store_close (&store);
}

static void
finish (struct monitor *m)
{
  mc_error_t err = NULL;
  const char *run = mc_run_dir (&err);

  if (mc_state_remove (m->spec.name, &err) < 0)
    mc_error_release (&err);
  /* Our own parent cgroup and run dir go when the last container stops
   * (a systemd scope goes once the monitor has left it empty).  */
  if (m->cg_parent && mc_cgroup_remove_parent_placed (m->placement, m->cg_parent, &err) < 0)
    mc_error_release (&err);
  if (run)
    (void) rmdir (run);
  mc_error_release (&err);
  if (m->spec.ephemeral)
    remove_ephemeral (m);
}

/* <run dir>/NAME/booted: the start got as far as its report, for a CLI
 * whose monitor dies before it hears the report (booted_without_report).
 * It goes with the run dir.  */
static void
mark_booted (struct monitor *m)
{
  cleanup_free char *path = mc_state_file_of (m->spec.name, "booted", false);
  int fd;

  if (path && (fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0)
    close (fd);
}

/* Keep nothing of the CLI but the report pipe: in particular not the
 * container's lock, which the CLI held when it forked us.  */
static void
isolate (struct monitor *m)
{
  int null;

  if (m->report_fd != 3 && dup2 (m->report_fd, 3) == 3)
    m->report_fd = 3;
  fcntl (3, F_SETFD, FD_CLOEXEC);
  syscall (SYS_close_range, 4, ~0U, 0);
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);

  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      close (null);
    }
  signal (SIGPIPE, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  if (chdir ("/") < 0)
    _exit (1);
}

__attribute__ ((noreturn)) static void
monitor_main (struct monitor *m)
{
  mc_error_t err = NULL;
  int status;

  isolate (m);
  /* A private mount namespace: what the monitor mounts (the idmapped
   * lower layer) is never visible on the host and goes away with it.  */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    mc_make_error (&err, errno, "private mount namespace for the monitor");
  open_log (m);
  if (err == NULL)
    open_console_socket (m, &err);
  if (err == NULL)
    place (m, &err);
  for (;;)
    {
      if (err != NULL || boot (m, &err) < 0)
        {
          /* Everything goes before the CLI hears of it: it releases the
           * container's lock then, and a next start must not meet our
           * cgroup, veths or port filters still being removed.  */
          teardown (m);
          finish (m);
          report (m, &err);
          _exit (1);
        }
      mark_booted (m);
      mc_test_point ("start-booted");
      report (m, NULL);
      if (m->tree_ns >= 0)
        close (m->tree_ns);
      m->tree_ns = -1;
      /* The CLI's heap came along with the fork: give it back.  */
      malloc_trim (0);
      status = relay_until_exit (m);
      record_exit (m, status);
      mc_test_point ("monitor-exited");
      teardown (m);
      if (!wants_reboot (status))
        break;
    }
  finish (m);
  _exit (0);
}

/* ---- the CLI's side ------------------------------------------------------ */

static bool
str_is_true (json_t *v)
{
  return json_is_string (v) && strcmp (json_string_value (v), "true") == 0;
}

/* LXCFS (when it runs on the host, at $MINICTR_LXCFS_DIR or LXD's
 * /var/lib/lxcfs): its views of these files, computed from the reader's
 * cgroup, are bind-mounted over the container's own, as LXD arranges, so
 * that `free` and `top` inside show the container's limits.  */
static const char *const lxcfs_files[] = {
  "/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo",
  "/proc/stat",    "/proc/swaps",     "/proc/uptime",  "/sys/devices/system/cpu",
};

#define FUSE_SUPER_MAGIC 0x65735546

static void
add_lxcfs (struct mc_child_spec *spec)
{
  const char *dir = getenv ("MINICTR_LXCFS_DIR");
  struct statfs sfs;
  size_t i;

  if (dir == NULL || *dir == '\0')
    dir = "/var/lib/lxcfs";
  if (statfs (dir, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC)
    return;
  spec->disks = xrealloc (spec->disks, sizeof (struct mc_disk)
                                           * (spec->n_disks + (sizeof (lxcfs_files) / sizeof (lxcfs_files[0])) + 1));
  for (i = 0; i < (sizeof (lxcfs_files) / sizeof (lxcfs_files[0])); i++)
    {
      cleanup_free char *source = xasprintf ("%s%s", dir, lxcfs_files[i]);
      struct mc_disk *d = &spec->disks[spec->n_disks];

      /* Older LXCFS has no sys/; a file it lacks is left alone.  */
      if (access (source, F_OK) < 0)
        continue;
      memset (d, 0, sizeof (*d));
      d->source = steal_pointer (&source);
      d->path = xstrdup (lxcfs_files[i]);
      spec->n_disks++;
    }
}

/* Disk devices are checked again at start: a source may have gone since
 * `config device add`.  */
static int
fill_disks (json_t *devices, struct mc_child_spec *spec, mc_error_t *err)
{
  const char *dname;
  json_t *dev;

  if (mc_devices_root (devices, &dev, NULL, err) < 0)
    return -1;
  spec->disks = xmalloc0 (sizeof (struct mc_disk) * (json_object_size (devices) + 1));
  json_object_foreach (devices, dname, dev)
    {
      struct mc_disk *d = &spec->disks[spec->n_disks];

      if (mc_device_validate (dname, dev, err) < 0)
        return -1;
      /* The root disk is the overlay itself (its size: runtime/quota.c).  */
      if (strcmp (json_string_value (json_object_get (dev, "type")), "disk") != 0 || mc_device_is_root (dev))
        continue;
      d->source = xstrdup (json_string_value (json_object_get (dev, "source")));
      d->path = xstrdup (json_string_value (json_object_get (dev, "path")));
      d->readonly = str_is_true (json_object_get (dev, "readonly"));
      d->shift = str_is_true (json_object_get (dev, "shift"));
      spec->n_disks++;
    }
  return 0;
}

/* Key WHAT (uid, gid) of device DEV as a host id.  */
static int
dev_host_id (const struct mc_child_spec *spec, json_t *dev, const char *what, uint32_t *out, mc_error_t *err)
{
  const char *v = json_string_value (json_object_get (dev, what));

  return mc_idmap_host_id (&spec->idmap, spec->privileged, what, strcmp (what, "gid") == 0,
                           v ? strtoul (v, NULL, 10) : 0, out, err);
}

/* unix-char and unix-block devices: a node of their own under
 * containers/NAME/devices/ (made by host root with the mapped owner and
 * the mode, since nothing can make one inside a user namespace),
 * bind-mounted at their path, and let through the device allowlist.  */
static int
fill_unix (json_t *devices, struct mc_child_spec *spec, mc_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/devices", spec->cdir);
  cleanup_close int dfd = -1;
  const char *dname;
  json_t *dev;

  spec->dev_rules = xmalloc0 (sizeof (struct mc_dev_rule) * (json_object_size (devices) + 1));
  json_object_foreach (devices, dname, dev)
    {
      const char *type = json_string_value (json_object_get (dev, "type"));
      const char *source = json_string_value (json_object_get (dev, "source"));
      const char *path = json_string_value (json_object_get (dev, "path"));
      const char *maj = json_string_value (json_object_get (dev, "major"));
      const char *min = json_string_value (json_object_get (dev, "minor"));
      const char *mode = json_string_value (json_object_get (dev, "mode"));
      bool block = type && strcmp (type, "unix-block") == 0;
      cleanup_free char *node = NULL;
      struct stat st;
      dev_t num;
      uint32_t uid, gid;
      struct mc_disk *d;

      if (type == NULL || (!block && strcmp (type, "unix-char") != 0))
        continue;
      /* The host node gives what major and minor leave out.  */
      if (maj == NULL || min == NULL)
        {
          const char *host = source ? source : path;

          if (stat (host, &st) < 0)
            {
              if (errno == ENOENT && json_object_get (dev, "required")
                  && !str_is_true (json_object_get (dev, "required")))
                continue;
              if (errno == ENOENT)
                return mc_make_error (err, 0, "device `%s`: `%s` does not exist on the host (required=false "
                                      "skips a missing one)", dname, host);
              return mc_make_error (err, errno, "device `%s`: `%s`", dname, host);
            }
          if (block ? !S_ISBLK (st.st_mode) : !S_ISCHR (st.st_mode))
            return mc_make_error (err, 0, "device `%s`: `%s` is no %s device", dname, host,
                                  block ? "block" : "character");
          num = makedev (maj ? (unsigned) strtoul (maj, NULL, 10) : major (st.st_rdev),
                         min ? (unsigned) strtoul (min, NULL, 10) : minor (st.st_rdev));
        }
      else
        num = makedev ((unsigned) strtoul (maj, NULL, 10), (unsigned) strtoul (min, NULL, 10));
      if (dev_host_id (spec, dev, "uid", &uid, err) < 0 || dev_host_id (spec, dev, "gid", &gid, err) < 0)
        return mc_error_prefix (err, "device `%s`", dname);
      if (dfd < 0)
        {
          if (mkdir (dir, 0700) < 0 && errno != EEXIST)
            return mc_make_error (err, errno, "mkdir `%s`", dir);
          if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            return mc_make_error (err, errno, "open `%s`", dir);
        }
      node = xasprintf ("unix.%s", dname);
      if ((unlinkat (dfd, node, 0) < 0 && errno != ENOENT)
          || mknodat (dfd, node, (block ? S_IFBLK : S_IFCHR) | 0600, num) < 0
          || fchownat (dfd, node, uid, gid, AT_SYMLINK_NOFOLLOW) < 0
          || fchmodat (dfd, node, mode ? (mode_t) strtoul (mode, NULL, 8) : 0660, 0) < 0)
        return mc_make_error (err, errno, "device `%s`: make its node `%s/%s`", dname, dir, node);
      spec->disks = xrealloc (spec->disks, sizeof (struct mc_disk) * (spec->n_disks + 2));
      d = &spec->disks[spec->n_disks++];
      memset (d, 0, sizeof (*d));
      d->source = xasprintf ("%s/%s", dir, node);
      d->path = xstrdup (path ? path : source);
      d->device = true;
      spec->dev_rules[spec->n_dev_rules++] = (struct mc_dev_rule) { block ? 'b' : 'c', major (num), minor (num),
                                                                   MC_DEV_READ | MC_DEV_WRITE | MC_DEV_MKNOD };
    }
  return 0;
}

/* The image's templates for this start: LXD's `create` or `copy` ones
 * once (volatile.apply_template, set when the container was made), then
 * the `start` ones.  */
static int
render_templates (struct mc_store *s, const char *name, const char *fp, json_t *local, json_t *cfg,
                  struct mc_child_spec *spec, mc_error_t *err)
{
  const char *once = mc_config_get (local, "volatile.apply_template", NULL);
  const char *triggers[2] = { once, "start" };
  cleanup_free char *image_dir = xasprintf ("%s/images/%s", s->root, fp);
  size_t t;

  /* An OCI image has no metadata.yaml, and so no templates.  */
  if (mc_image_is_oci (s, fp))
    return 0;
  for (t = 0; t < 2; t++)
    {
      struct mc_rendered *r = NULL;
      size_t n = 0, i;

      if (triggers[t] == NULL)
        continue;
      if (mc_templates_for (image_dir, name, cfg, triggers[t], &r, &n, err) < 0)
        return mc_error_prefix (err, "image templates");
      spec->templates = xrealloc (spec->templates, sizeof (*r) * (spec->n_templates + n + 1));
      for (i = 0; i < n; i++)
        spec->templates[spec->n_templates++] = r[i];
      free (r);
    }
  return 0;
}

/* nic devices: addresses allocated and recorded now, the veth pairs made
 * by the monitor; /etc/hosts and /etc/resolv.conf are written by the
 * container's first process after the image's templates.  */
static int
fill_nics (struct mc_store *s, const char *name, json_t *local, json_t *cfg, struct mc_child_spec *spec,
           mc_error_t *err)
{
  struct mc_nic_plan plan;

  if (mc_nic_prepare (s, name, local, cfg, &plan, err) < 0)
    return -1;
  spec->nics = steal_pointer (&plan.nics);
  spec->n_nics = plan.n;
  if (plan.hosts)
    {
      spec->templates = xrealloc (spec->templates, sizeof (*spec->templates) * (spec->n_templates + 3));
      spec->templates[spec->n_templates++] = (struct mc_rendered) { xstrdup ("/etc/hosts"),
                                                                    steal_pointer (&plan.hosts), false };
      spec->templates[spec->n_templates++] = (struct mc_rendered) { xstrdup ("/etc/resolv.conf"),
                                                                    steal_pointer (&plan.resolv), false };
    }
  mc_nic_plan_release (&plan);
  return 0;
}

static void
free_spec (struct mc_child_spec *spec)
{
  size_t i;

  for (i = 0; i < spec->n_disks; i++)
    {
      free (spec->disks[i].source);
      free (spec->disks[i].path);
    }
  free (spec->disks);
  free (spec->dev_rules);
  mc_proxies_free (spec->proxies, spec->n_proxies);
  free (spec->nics);
  mc_rendered_free (spec->templates, spec->n_templates);
  json_decref (spec->config);
  json_decref (spec->oci);
  free (spec->name);
  free (spec->cdir);
  free (spec->image_rootfs);
}

/* oci.entrypoint / oci.cmd: a JSON list of strings, or words split on
 * blanks; *OUT a new array.  */
static int
oci_words (const char *key, const char *value, json_t **out, mc_error_t *err)
{
  json_t *list, *v;
  size_t i;

  if (value[strspn (value, " \t")] == '[')
    {
      if ((list = json_loads (value, 0, NULL)) == NULL || !json_is_array (list))
        {
          json_decref (list);
          return mc_make_error (err, 0, "%s: `%s` is not a JSON list of strings", key, value);
        }
      json_array_foreach (list, i, v)
        if (!json_is_string (v))
          {
            json_decref (list);
            return mc_make_error (err, 0, "%s: `%s` is not a JSON list of strings", key, value);
          }
      *out = list;
      return 0;
    }
  {
    cleanup_free char *copy = xstrdup (value);
    char *w, *save = NULL;

    list = json_array ();
    for (w = strtok_r (copy, " \t", &save); w; w = strtok_r (NULL, " \t", &save))
      json_array_append_new (list, json_string (w));
    *out = list;
  }
  return 0;
}

/* An OCI image FP's process (PID 1), from its config and the container's
 * CONFIG: Entrypoint + Cmd (oci.entrypoint replaces the first and clears
 * the second, oci.cmd replaces the second, as docker's --entrypoint and
 * arguments do), Env with environment.* over it, WorkingDir, User.  */
static json_t *
oci_process (struct mc_store *s, const char *fp, json_t *config, mc_error_t *err)
{
  cleanup_json json_t *img = mc_image_oci_config (s, fp, err), *argv = NULL, *cmd = NULL, *env = NULL;
  const char *ep_key = json_string_value (json_object_get (config, "oci.entrypoint"));
  const char *cmd_key = json_string_value (json_object_get (config, "oci.cmd"));
  const char *key, *cwd, *user;
  json_t *v;
  size_t i;

  if (img == NULL)
    return NULL;
  if (ep_key ? oci_words ("oci.entrypoint", ep_key, &argv, err) < 0 : (argv = json_array ()) == NULL)
    return NULL;
  if (!ep_key && json_is_array (json_object_get (img, "Entrypoint")))
    json_array_extend (argv, json_object_get (img, "Entrypoint"));
  if (cmd_key && oci_words ("oci.cmd", cmd_key, &cmd, err) < 0)
    return NULL;
  if (cmd)
    json_array_extend (argv, cmd);
  else if (!ep_key && json_is_array (json_object_get (img, "Cmd")))
    json_array_extend (argv, json_object_get (img, "Cmd"));
  if (json_array_size (argv) == 0)
    return mc_make_error (err, 0, "image %.12s has no Entrypoint or Cmd to run: set oci.cmd (or oci.init=system)",
                          fp),
           NULL;
  json_array_foreach (argv, i, v)
    if (!json_is_string (v))
      return mc_make_error (err, 0, "image %.12s: its Entrypoint and Cmd must be strings", fp), NULL;
  /* The image's Env, then environment.* over it, by name.  */
  env = json_array ();
  json_array_foreach (json_object_get (img, "Env"), i, v)
    {
      const char *e = json_string_value (v);
      cleanup_free char *name = e ? xstrndup (e, strcspn (e, "=")) : NULL;
      cleanup_free char *k = name ? xasprintf ("environment.%s", name) : NULL;

      if (e && strchr (e, '=') && json_object_get (config, k) == NULL)
        json_array_append (env, v);
    }
  json_object_foreach (config, key, v)
    if (mc_str_has_prefix (key, "environment.") && key[12] != '\0' && json_is_string (v))
      json_array_append_new (env, json_sprintf ("%s=%s", key + 12, json_string_value (v)));
  /* WorkingDir (Docker takes a relative one from /) or Incus's oci.cwd;
     User, its uid or gid replaced by Incus's oci.uid and oci.gid once it
     is resolved in the container (start.c).  */
  cwd = json_string_value (json_object_get (config, "oci.cwd"));
  if (cwd && *cwd != '/')
    return mc_make_error (err, 0, "oci.cwd: `%s` is not an absolute path", cwd), NULL;
  if (cwd == NULL)
    cwd = json_string_value (json_object_get (img, "WorkingDir"));
  user = json_string_value (json_object_get (img, "User"));
  {
    const char *uid = json_string_value (json_object_get (config, "oci.uid"));
    const char *gid = json_string_value (json_object_get (config, "oci.gid"));
    cleanup_free char *dir = cwd && *cwd && *cwd != '/' ? xasprintf ("/%s", cwd) : xstrdup (cwd && *cwd ? cwd : "/");
    json_t *proc = json_pack ("{s:O, s:O, s:s, s:s}", "argv", argv, "env", env, "cwd", dir, "user",
                              uid && gid ? "" : user ? user : "");

    if (uid)
      json_object_set_new (proc, "uid", json_integer ((json_int_t) strtoull (uid, NULL, 10)));
    if (gid)
      json_object_set_new (proc, "gid", json_integer ((json_int_t) strtoull (gid, NULL, 10)));
    return proc;
  }
}

static int
fill_spec (struct mc_store *s, const char *name, json_t *local, struct mc_child_spec *spec,
           mc_error_t *err)
{
  const char *fp = mc_config_get (local, "volatile.base_image", NULL);
  cleanup_json json_t *cfg = NULL;
  int ret;

  if (fp == NULL || mc_image_check_usable (s, fp, err) < 0)
    return fp ? -1 : mc_make_error (err, 0, "container `%s` has no base image", name);
  if ((cfg = mc_config_expand (s, local, err)) == NULL
      || mc_container_settle_idmap (s, name, local, cfg, err) < 0
      || mc_root_quota_apply (s, name, json_object_get (cfg, "devices"), err) < 0)
    return -1;
  spec->config = json_incref (json_object_get (cfg, "config"));
  spec->cdir = xasprintf ("%s/containers/%s", s->root, name);
  spec->privileged = mc_config_get_bool (cfg, "security.privileged", false);
  mc_idmap_of_config (local, &spec->idmap_base, &spec->idmap_size);
  ret = mc_idmap_set_of_config (local, &spec->idmap, err);
  if (ret == 0)
    ret = fill_disks (json_object_get (cfg, "devices"), spec, err);
  if (ret == 0)
    ret = fill_unix (json_object_get (cfg, "devices"), spec, err);
  if (ret == 0)
    ret = mc_proxies_of (json_object_get (cfg, "devices"), spec->privileged, &spec->idmap, &spec->proxies,
                         &spec->n_proxies, err);
  if (ret == 0)
    add_lxcfs (spec);
  if (ret == 0)
    ret = render_templates (s, name, fp, local, cfg, spec, err);
  if (ret == 0)
    ret = fill_nics (s, name, local, cfg, spec, err);
  spec->name = xstrdup (name);
  if (ret == 0 && (spec->image_rootfs = mc_image_lowerdir (s, fp, err)) == NULL)
    ret = -1;
  /* An OCI image runs its own process, unless asked for /sbin/init.  */
  if (ret == 0 && mc_image_is_oci (s, fp) && !mc_config_oci_system (cfg)
      && (spec->oci = oci_process (s, fp, spec->config, err)) == NULL)
    ret = -1;
  spec->nesting = mc_config_get_bool (cfg, "security.nesting", false);
  spec->ephemeral = json_is_true (json_object_get (cfg, "ephemeral"));
  spec->console_fd = -1;
  return ret;
}

static int
touch_last_used (struct mc_store *s, const char *name, json_t *cfg, mc_error_t *err)
{
  char now[64];

  mc_format_time ((int64_t) time (NULL), now, sizeof (now));
  json_object_set_new (cfg, "last_used_at", json_string (now));
  return mc_container_config_save (s, name, cfg, err);
}

static int
read_report (int fd, mc_error_t *err)
{
  char buf[2048];
  size_t used = 0;
  ssize_t n;

  while (used < sizeof (buf) - 1 && (n = read (fd, buf + used, sizeof (buf) - 1 - used)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mc_make_error (err, errno, "read the monitor's report");
      used += (size_t) n;
    }
  buf[used] = '\0';
  if (strcmp (buf, "OK") == 0)
    return 0;
  if (used == 0)
    {
      mc_make_error (err, 0, "the monitor died during start");
      return 1;
    }
  return mc_make_error (err, 0, "%s", buf);
}

/* The monitor died without a word (read_report said 1): after the boot
 * (its mark is there: the start removed any older one), if the init
 * runs.  The container then runs without its monitor, as after any
 * monitor loss (stop, exec and delete cope): the start happened.  */
static bool
booted_without_report (const char *name)
{
  cleanup_free char *mark = NULL;
  struct mc_run_state st;
  enum mc_status status = MC_STATUS_STOPPED;
  mc_error_t e = NULL;

  if ((mark = mc_state_file_of (name, "booted", false)) == NULL || access (mark, F_OK) < 0)
    return false;
  if (mc_container_status (name, &st, &status, &e) < 0)
    mc_error_release (&e);
  return status != MC_STATUS_STOPPED;
}

/* Fork twice: the monitor must be nobody's child but init's, so that the
 * CLI can exit (or be killed) without touching the container.  Returns
 * the read end of the pipe that the monitor reports on.  */
static int
fork_monitor (struct monitor *m, mc_error_t *err)
{
  int pipefd[2], status;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      mc_make_error (err, errno, "fork");
      close (pipefd[0]);
      close (pipefd[1]);
      return -1;
    }
  if (pid == 0)
    {
      close (pipefd[0]);
      setsid ();
      if (fork () != 0)
        _exit (0);
      m->report_fd = pipefd[1];
      monitor_main (m);
    }
  close (pipefd[1]);
  waitpid (pid, &status, 0);
  return pipefd[0];
}

/* <run dir>/NAME/apply-template: the create or copy templates are still
 * to be applied (volatile.apply_template's value), for a start whose
 * boot failed where its config could not be put back (a full disk).  */
#define TEMPLATE_MARK "apply-template"

/* While the monitor boots, the CLI saves the config of a started
 * container (create/copy templates applied, last_used_at now): that
 * write is then off the start's critical path.  A failed boot puts the
 * old config back; where it cannot (a full disk), the templates still
 * due are kept in the run dir (TEMPLATE_MARK) for the next start.  The
 * monitor does not touch the config meanwhile: it removes an ephemeral
 * container only under the lock that we hold.  */
static int
await_boot (struct mc_store *s, const char *name, json_t *cfg, int report_fd, mc_error_t *err)
{
  json_t *before = json_deep_copy (cfg);
  const char *tmpl = json_string_value (json_object_get (json_object_get (before, "config"), "volatile.apply_template"));
  cleanup_free char *mark = mc_state_file_of (name, TEMPLATE_MARK, false);
  mc_error_t boot_err = NULL;
  int saved, r;

  json_object_del (json_object_get (cfg, "config"), "volatile.apply_template");
  saved = touch_last_used (s, name, cfg, err);
  mc_test_point ("start-awaiting");
  r = read_report (report_fd, &boot_err);
  if (r == 0 || (r == 1 && booted_without_report (name)))
    {
      mc_error_release (&boot_err);
      json_decref (before);
      if (saved == 0 && mark)
        (void) unlink (mark);
      return saved;
    }
  /* The save's own error, if any: the boot's is the one to report.  */
  mc_error_release (err);
  if (saved == 0 && mc_container_config_save (s, name, before, err) < 0)
    {
      mc_error_release (err);
      /* (the monitor has removed the run dir: made again for the mark;
         a delete removes it) */
      free (mark);
      if (tmpl && (mark = mc_state_file_of (name, TEMPLATE_MARK, true)) != NULL)
        (void) mc_write_file_atomic_at (AT_FDCWD, mark, tmpl, strlen (tmpl), 0600, err);
      mc_error_release (err);
    }
  json_decref (before);
  mc_make_error (err, 0, "%s", boot_err->msg);
  mc_error_release (&boot_err);
  return -1;
}

/* How long a start waits for an older monitor's cleanup (as a stop
 * does, runtime/lifecycle.c).  */
#define MONITOR_CLEANUP_WAIT_MS 10000

/* What the run dir may still hold of a run before (a monitor lost, and
 * its container ended): its boot mark and a snapshot's freeze mark go;
 * templates still due are put back into CFG.  An older monitor still
 * cleaning up after its container is waited for (it removes the run
 * state and the cgroup the new start is about to make).  */
static void
before_start (const char *name, json_t *cfg)
{
  cleanup_free char *dir = NULL, *mark = NULL, *tmpl = NULL;
  struct mc_run_state st;
  mc_error_t e = NULL;
  size_t len;

  if (mc_state_read (name, &st, &e) == 1 && mc_proc_alive (st.monitor, st.monitor_start)
      && !mc_proc_alive (st.pid, st.pid_start))
    {
      int fd = (int) syscall (SYS_pidfd_open, st.monitor, 0);

      if (fd >= 0)
        {
          struct pollfd p = { fd, POLLIN, 0 };

          (void) poll (&p, 1, MONITOR_CLEANUP_WAIT_MS);
          close (fd);
        }
    }
  mc_error_release (&e);
  if ((dir = mc_state_dir_of (name, false, &e)) == NULL)
    {
      mc_error_release (&e);
      return;
    }
  mark = xasprintf ("%s/booted", dir);
  (void) unlink (mark);
  free (mark);
  mark = xasprintf ("%s/snapshot-freeze", dir);
  (void) unlink (mark);
  free (mark);
  mark = xasprintf ("%s/" TEMPLATE_MARK, dir);
  if (mc_read_file_at (AT_FDCWD, mark, 256, &tmpl, &len, &e) == 0)
    json_object_set_new (json_object_get (cfg, "config"), "volatile.apply_template", json_string (tmpl));
  mc_error_release (&e);
}

int
mc_container_start (struct mc_store *s, const char *name, mc_error_t *err)
{
  struct monitor m = { .report_fd = -1, .master = -1, .slave_keep = -1, .log_fd = -1,
                       .listen_fd = -1, .client_fd = -1, .init_pidfd = -1, .tree_ns = -1 };
  json_t *cfg = mc_container_config_load (s, name, err);
  int ret, report_fd;

  if (cfg == NULL)
    return -1;
  before_start (name, cfg);
  ret = fill_spec (s, name, cfg, &m.spec, err);
  if (ret == 0)
    {
      fflush (stdout);
      fflush (stderr);
      report_fd = fork_monitor (&m, err);
      ret = report_fd < 0 ? -1 : await_boot (s, name, cfg, report_fd, err);
      if (report_fd >= 0)
        close (report_fd);
    }
  /* The others on its networks learn its name.  */
  if (ret == 0 && m.spec.n_nics)
    mc_nic_refresh_peers (s, name);
  json_decref (cfg);
  free_spec (&m.spec);
  return ret;
}
