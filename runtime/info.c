/* What `list` and `info` show: LXD's instance shape plus the layer chain,
 * minictr's counterpart of `qemu-img info --backing-chain`.  */
#include "runtime/info.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/net/nic.h"
#include "lib/paths.h"
#include "runtime/history/snapshot.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/state.h"
#include "lib/syscalls.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

/* LXD's status codes.  */
static int
status_code (enum mc_status s)
{
  return s == MC_STATUS_RUNNING ? 103 : s == MC_STATUS_FROZEN ? 110 : 102;
}

/* Bytes used by a tree (st_blocks), without following symlinks.  */
static uint64_t
disk_usage_at (int at, const char *name, int depth)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;
  uint64_t total;

  if (fstatat (at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  total = (uint64_t) st.st_blocks * 512;
  if (!S_ISDIR (st.st_mode) || depth > 256 || (d = mc_opendir_at (at, name)) == NULL)
    return total;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      total += disk_usage_at (dirfd (d), de->d_name, depth + 1);
  return total;
}

/* Why CG gives no figure for CTRL.  */
static json_t *
missing (struct mc_cgroup *cg, const char *ctrl)
{
  if (mc_cgroup_layout (cg) == MC_CGROUP_V2)
    return json_sprintf ("%s: the %s controller is not enabled for the container's cgroup `%s`", ctrl, ctrl,
                         mc_cgroup_path (cg, NULL));
  return json_sprintf ("%s: no cgroup v1 hierarchy of this host mounts the %s controller", ctrl, ctrl);
}

/* LXD's processes, cpu and memory figures from the container's cgroup.
 * What cannot be had is left out and said in `unavailable` (minictr's
 * addition), never shown as zero.  */
static json_t *
cgroup_state (const char *name, struct mc_cgroup *cg)
{
  struct mc_cgroup *own = NULL;
  struct mc_cgroup_stats st;
  mc_error_t err = NULL;
  json_t *out = json_object (), *why = json_array ();
  pid_t *pids = NULL;
  size_t n = 0;

  if (cg == NULL && mc_container_cgroup_open (name, &own, &err) == 0)
    cg = own;
  if (cg == NULL || mc_cgroup_stats (cg, &st, &err) < 0)
    {
      json_array_append_new (why, json_sprintf ("cgroup: %s", err->msg));
      json_object_set_new (out, "unavailable", why);
      mc_error_release (&err);
      mc_cgroup_free (own);
      return out;
    }
  /* Without the pids controller, count cgroup.procs.  */
  if (!st.has_pids && mc_cgroup_pids (cg, &pids, &n, &err) == 0)
    st.pids_current = n, st.has_pids = true;
  free (pids);
  mc_error_release (&err);
  if (st.has_pids)
    json_object_set_new (out, "processes", json_integer ((json_int_t) st.pids_current));
  if (st.has_cpu)
    json_object_set_new (out, "cpu", json_pack ("{s:I}", "usage", (json_int_t) st.cpu_usage_ns));
  else
    json_array_append_new (why, missing (cg, "cpuacct"));
  if (st.has_memory)
    json_object_set_new (out, "memory", json_pack ("{s:I, s:I}", "usage", (json_int_t) st.memory_current,
                                                   "usage_peak", (json_int_t) (st.has_memory_peak ? st.memory_peak : 0)));
  else
    json_array_append_new (why, missing (cg, "memory"));
  if (json_array_size (why) > 0)
    json_object_set_new (out, "unavailable", why);
  else
    json_decref (why);
  mc_cgroup_free (own);
  return out;
}

static json_t *
state_object (const char *name, json_t *cfg, enum mc_status status, const struct mc_run_state *st,
              struct mc_cgroup *cg, unsigned what)
{
  json_t *state = status == MC_STATUS_STOPPED || !(what & MC_INFO_USAGE) ? json_object () : cgroup_state (name, cg);
  json_t *net;

  json_object_set_new (state, "status", json_string (mc_status_name (status)));
  json_object_set_new (state, "status_code", json_integer (status_code (status)));
  json_object_set_new (state, "pid", json_integer (status == MC_STATUS_STOPPED ? 0 : st->pid));
  if (status == MC_STATUS_STOPPED)
    json_object_set_new (state, "processes", json_integer (0));
  /* LXD's state.network: the interfaces inside, read from the
   * container's network namespace.  */
  if (status != MC_STATUS_STOPPED && (what & MC_INFO_NETWORK)
      && (net = mc_nic_state (name, st->pid, json_object_get (cfg, "expanded_devices"), what & MC_INFO_NETWORK_FULL))
             != NULL)
    json_object_set_new (state, "network", net);
  return state;
}

/* Each snapshot: name, when, and what its copy of the layer costs.  */
static json_t *
snapshot_layers (struct mc_store *s, const char *name, int cdir, bool sizes)
{
  mc_error_t err = NULL;
  json_t *list = cdir >= 0 ? mc_snapshot_list_at (cdir, name, &err) : mc_snapshot_list (s, name, &err), *v;
  size_t i;

  mc_error_release (&err);
  if (list == NULL)
    return json_array ();
  json_array_foreach (list, i, v)
    {
      cleanup_free char *rel = xasprintf ("snapshots/%s", json_string_value (json_object_get (v, "name")));
      cleanup_close int sfd = cdir >= 0 && sizes ? openat (cdir, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;

      json_object_set_new (v, "path", json_sprintf ("%s/containers/%s/%s/upper", s->root, name, rel));
      if (sizes)
        json_object_set_new (v, "size", json_integer ((json_int_t) (sfd >= 0 ? disk_usage_at (sfd, "upper", 0) : 0)));
    }
  return list;
}

static json_t *
layers (struct mc_store *s, const char *name, json_t *cfg, int cdir, bool sizes)
{
  const char *fp = mc_config_get (cfg, "volatile.base_image", "");
  cleanup_free char *upper = xasprintf ("%s/containers/%s/upper", s->root, name);
  json_t *img_aliases = json_array (), *img, *out;
  mc_error_t err = NULL;

  img = mc_image_get (s, fp, &err);
  mc_error_release (&err);
  if (img)
    json_array_extend (img_aliases, json_object_get (img, "aliases"));
  json_decref (img);
  out = json_pack ("{s:{s:s, s:o}, s:{s:s}, s:o}", "image", "fingerprint", fp, "aliases", img_aliases,
                   "container", "path", upper, "snapshots", snapshot_layers (s, name, cdir, sizes));
  if (sizes)
    json_object_set_new (json_object_get (out, "container"), "size",
                         json_integer ((json_int_t) (cdir >= 0 ? disk_usage_at (cdir, "upper", 0) : 0)));
  return out;
}

/* How init ended last time (written by the monitor), or null.  */
static json_t *
last_exit (int dfd)
{
  mc_error_t err = NULL;
  cleanup_free char *buf = NULL;
  json_t *doc = NULL;
  size_t len;

  if (dfd >= 0 && mc_read_file_at (dfd, "last-exit.yaml", 1 << 16, &buf, &len, &err) == 0)
    doc = mc_yaml_load (buf, len, "last-exit.yaml", &err);
  mc_error_release (&err);
  return doc ? doc : json_null ();
}

/* LXD's expanded_config and expanded_devices: the profiles stacked under
 * the container's own (its own alone when a profile went missing).  */
static void
expanded (struct mc_store *s, json_t *cfg)
{
  mc_error_t e = NULL;
  cleanup_json json_t *x = mc_config_expand (s, cfg, &e);

  mc_error_release (&e);
  /* X's own (it goes); CFG's are copied, as they stay CFG's too.  */
  if (x)
    {
      json_object_set (cfg, "expanded_config", json_object_get (x, "config"));
      json_object_set (cfg, "expanded_devices", json_object_get (x, "devices"));
      return;
    }
  json_object_set_new (cfg, "expanded_config", json_deep_copy (json_object_get (cfg, "config")));
  json_object_set_new (cfg, "expanded_devices", json_deep_copy (json_object_get (cfg, "devices")));
}

json_t *
mc_container_info_some (struct mc_store *s, const char *name, unsigned what, mc_error_t *err)
{
  cleanup_close int dfd = mc_container_open_dir (s, name, err);
  struct mc_cgroup *cg = NULL;
  struct mc_run_state st;
  enum mc_status status;
  json_t *cfg;
  bool eph;

  if (dfd < 0 || (cfg = mc_container_config_load_at (dfd, err)) == NULL)
    return NULL;
  if (mc_container_status_cgroup (name, &st, &status, &cg, err) < 0)
    {
      json_decref (cfg);
      return NULL;
    }
  eph = json_is_true (json_object_get (cfg, "ephemeral"));
  expanded (s, cfg);
  json_object_set_new (cfg, "name", json_string (name));
  json_object_set_new (cfg, "status", json_string (mc_status_name (status)));
  json_object_set_new (cfg, "status_code", json_integer (status_code (status)));
  json_object_set_new (cfg, "type", json_string ("container"));
  json_object_set_new (cfg, "ephemeral", json_boolean (eph));
  json_object_set_new (cfg, "state", state_object (name, cfg, status, &st, cg, what));
  json_object_set_new (cfg, "layers", layers (s, name, cfg, dfd, what & MC_INFO_SIZES));
  json_object_set (cfg, "snapshots", json_object_get (json_object_get (cfg, "layers"), "snapshots"));
  json_object_set_new (cfg, "last_exit", last_exit (dfd));
  mc_cgroup_free (cg);
  return cfg;
}

json_t *
mc_container_info (struct mc_store *s, const char *name, mc_error_t *err)
{
  return mc_container_info_some (s, name, MC_INFO_ALL, err);
}

/* ---- the host side (`info` with no name) ------------------------------------ */

/* The cgroup2 mount: /sys/fs/cgroup (pure v2) or the hybrid unified one. */
static const char *
unified_mount (void)
{
  static const char *const where[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  struct statfs sfs;
  size_t i;

  for (i = 0; i < 2; i++)
    if (statfs (where[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
      return where[i];
  return NULL;
}

/* Whether our own cgroup2 cgroup has cgroup.kill (Linux 5.14): a root
 * cgroup never has it, so look where we are.  */
static bool
has_cgroup_kill (const char *mount)
{
  cleanup_free char *buf = NULL, *path = NULL;
  mc_error_t e = NULL;
  char *own;

  if (mount == NULL || mc_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, &buf, NULL, &e) < 0)
    {
      mc_error_release (&e);
      return false;
    }
  own = strncmp (buf, "0::", 3) == 0 ? buf + 3 : strstr (buf, "\n0::");
  if (own == NULL)
    return false;
  if (own != buf + 3)
    own += 4;
  own[strcspn (own, "\n")] = '\0';
  if (strcmp (own, "/") == 0)
    return false;
  path = xasprintf ("%s%s/cgroup.kill", mount, own);
  return access (path, F_OK) == 0;
}

json_t *
mc_host_info (struct mc_store *s, mc_error_t *err)
{
  const char *mount = unified_mount ();
  enum mc_cgroup_layout layout;
  struct utsname u;
  const char *cg;
  bool pidfd;
  int fd;

  if (uname (&u) < 0)
    {
      mc_make_error (err, errno, "uname");
      return NULL;
    }
  if (mc_cgroup_detect (&layout, err) < 0)
    return NULL;
  if (layout == MC_CGROUP_V2)
    cg = mount && strcmp (mount, "/sys/fs/cgroup") == 0 ? "cgroup2" : "cgroup2 (hybrid host, controllers on cgroup2)";
  else
    cg = mount ? "cgroup1 (hybrid: cgroup2 at /sys/fs/cgroup/unified without controllers)" : "cgroup1";
  fd = mc_sys_pidfd_open (getpid (), 0);
  pidfd = fd >= 0;
  if (fd >= 0)
    close (fd);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:b, s:b}}", "kernel", u.sysname, "kernel_version",
                    u.release, "kernel_architecture", u.machine, "cgroup_layout", cg, "storage",
                    "dir (overlayfs layers)", "state_dir", s->root, "features", "mount_setattr",
                    mc_sys_mount_setattr (-1, "", 0, NULL, 0) == 0 || errno != ENOSYS, "cgroup_kill",
                    has_cgroup_kill (mount), "pidfd", pidfd);
}

/* ---- the host's resources (`info --resources`) --------------------------------- */

/* The first "KEY<tabs>: VALUE" of /proc/cpuinfo, or "".  */
static char *
cpuinfo_field (const char *text, const char *key)
{
  const char *p = text;
  size_t n = strlen (key);

  for (; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, key, n) == 0 && (p[n] == '\t' || p[n] == ' ' || p[n] == ':'))
      {
        const char *colon = strchr (p, ':'), *end = strchr (p, '\n');

        if (colon == NULL || (end && colon > end))
          break;
        colon++;
        while (*colon == ' ')
          colon++;
        return xstrndup (colon, end ? (size_t) (end - colon) : strlen (colon));
      }
  return xstrdup ("");
}

static long
read_long (const char *path)
{
  cleanup_free char *buf = NULL;
  mc_error_t e = NULL;
  size_t len;

  if (mc_read_file_at (AT_FDCWD, path, 64, &buf, &len, &e) < 0)
    {
      mc_error_release (&e);
      return -1;
    }
  return strtol (buf, NULL, 10);
}

/* Sockets and cores: distinct package ids, distinct (package, core) pairs
 * of the online CPUs' topology.  */
static void
cpu_topology (long threads, long *sockets, long *cores)
{
  long *pkg = xmalloc0 (sizeof (long) * (size_t) (threads + 1)), *core = xmalloc0 (sizeof (long) * (size_t) (threads + 1));
  long i, j, n = 0;

  *sockets = *cores = 0;
  for (i = 0; n < threads && i < 4096; i++)
    {
      char path[128];
      long p, c;
      bool seen_pkg = false, seen_core = false;

      snprintf (path, sizeof (path), "/sys/devices/system/cpu/cpu%ld/topology/physical_package_id", i);
      if ((p = read_long (path)) < 0)
        continue;
      snprintf (path, sizeof (path), "/sys/devices/system/cpu/cpu%ld/topology/core_id", i);
      c = read_long (path);
      for (j = 0; j < n; j++)
        {
          seen_pkg |= pkg[j] == p;
          seen_core |= pkg[j] == p && core[j] == c;
        }
      *sockets += !seen_pkg;
      *cores += !seen_core;
      pkg[n] = p;
      core[n++] = c;
    }
  free (pkg);
  free (core);
}

static uint64_t
meminfo_kib (const char *text, const char *key)
{
  const char *p = strstr (text, key);

  return p ? strtoull (p + strlen (key), NULL, 10) : 0;
}

json_t *
mc_host_resources (struct mc_store *s, mc_error_t *err)
{
  cleanup_free char *cpuinfo = NULL, *meminfo = NULL, *vendor = NULL, *model = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct utsname u;
  struct statvfs vfs;
  long threads = sysconf (_SC_NPROCESSORS_ONLN), sockets, cores, nodes = 0;
  uint64_t total, avail;
  json_t *nics;
  size_t len;
  char path[300];

  if (uname (&u) < 0)
    return mc_make_error (err, errno, "uname"), NULL;
  if (mc_read_file_at (AT_FDCWD, "/proc/cpuinfo", 1 << 22, &cpuinfo, &len, err) < 0
      || mc_read_file_at (AT_FDCWD, "/proc/meminfo", 1 << 16, &meminfo, &len, err) < 0)
    return NULL;
  if (statvfs (s->root, &vfs) < 0)
    return mc_make_error (err, errno, "statvfs `%s`", s->root), NULL;
  vendor = cpuinfo_field (cpuinfo, "vendor_id");
  model = cpuinfo_field (cpuinfo, "model name");
  cpu_topology (threads, &sockets, &cores);
  for (nodes = 0; nodes < 1024; nodes++)
    {
      snprintf (path, sizeof (path), "/sys/devices/system/node/node%ld", nodes);
      if (access (path, F_OK) < 0)
        break;
    }
  total = meminfo_kib (meminfo, "MemTotal:") * 1024;
  avail = meminfo_kib (meminfo, "MemAvailable:") * 1024;
  /* The network cards: interfaces backed by a device (not bridges,
   * veths or loopback).  */
  nics = json_array ();
  if ((d = opendir ("/sys/class/net")) != NULL)
    while ((de = readdir (d)) != NULL)
      {
        cleanup_free char *mac = NULL, *driver = NULL;
        char link[PATH_MAX];
        ssize_t n;
        long speed;

        if (de->d_name[0] == '.')
          continue;
        snprintf (path, sizeof (path), "/sys/class/net/%s/device", de->d_name);
        if (access (path, F_OK) < 0)
          continue;
        snprintf (path, sizeof (path), "/sys/class/net/%s/address", de->d_name);
        if (mc_read_file_at (AT_FDCWD, path, 64, &mac, &len, err) < 0)
          {
            mc_error_release (err);
            mac = xstrdup ("");
          }
        mac[strcspn (mac, "\n")] = '\0';
        snprintf (path, sizeof (path), "/sys/class/net/%s/device/driver", de->d_name);
        n = readlink (path, link, sizeof (link) - 1);
        link[n > 0 ? n : 0] = '\0';
        driver = xstrdup (n > 0 ? (strrchr (link, '/') ? strrchr (link, '/') + 1 : link) : "");
        snprintf (path, sizeof (path), "/sys/class/net/%s/speed", de->d_name);
        speed = read_long (path);
        json_array_append_new (nics, json_pack ("{s:s, s:s, s:s, s:I}", "name", de->d_name, "address", mac,
                                                "driver", driver, "link_speed_mbps",
                                                (json_int_t) (speed > 0 ? speed : 0)));
      }
  return json_pack ("{s:{s:s, s:s, s:s, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:{s:s, s:I, s:I}, s:o}", "cpu",
                    "architecture", u.machine, "vendor", vendor, "name", model, "sockets", (json_int_t) sockets,
                    "cores", (json_int_t) cores, "threads", (json_int_t) threads, "numa_nodes", (json_int_t) nodes,
                    "memory", "total", (json_int_t) total, "used", (json_int_t) (total - avail), "free",
                    (json_int_t) avail, "storage", "path", s->root, "total",
                    (json_int_t) ((uint64_t) vfs.f_blocks * vfs.f_frsize), "free",
                    (json_int_t) ((uint64_t) vfs.f_bavail * vfs.f_frsize), "network_cards", nics);
}

