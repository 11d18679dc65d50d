#include "runtime/config/config.h"
#include "lib/idmapset.h"
#include "runtime/config/device-config.h"
#include "runtime/history/schedule.h"
#include "runtime/security.h"
#include "lib/utils.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* LXD's keys and meanings; `live` keys are re-applied to a running
 * container by `config set` (limits.c), the others at the next start.  */
static const struct mc_config_key keys[] = {
  { "boot.autostart", false, MC_KEY_BOOL, "false", true,
    "Start the container at host boot (`minictr admin boot`, run by the boot service)" },
  { "boot.autostart.delay", false, MC_KEY_NUMBER, "0", true,
    "Seconds `admin boot` waits after starting this container" },
  { "boot.autostart.priority", false, MC_KEY_NUMBER, "0", true,
    "Order of `admin boot`: higher starts first" },
  { "boot.host_shutdown_timeout", false, MC_KEY_NUMBER, "30", true,
    "Seconds `admin shutdown` (host shutdown) waits for the container to stop before killing it" },
  { "boot.stop.priority", false, MC_KEY_NUMBER, "0", true,
    "Order of `admin shutdown`: higher stops first (those of one priority all at once)" },
  { "boot.stop.signal", false, MC_KEY_SIGNAL, NULL, true,
    "Signal `stop` sends to init (default: SIGRTMIN+3 for systemd, else SIGPWR)" },
  { "cloud-init.network-config", false, MC_KEY_STRING, NULL, false,
    "cloud-init network configuration, for the image's templates (its NoCloud seed, at create and copy)" },
  { "cloud-init.user-data", false, MC_KEY_STRING, NULL, false,
    "cloud-init user data (#cloud-config ...), for the image's templates (its NoCloud seed)" },
  { "cloud-init.vendor-data", false, MC_KEY_STRING, NULL, false,
    "cloud-init vendor data, for the image's templates (its NoCloud seed)" },
  { "environment.", true, MC_KEY_STRING, NULL, true,
    "environment.NAME=VALUE: an environment variable of exec'd commands and, from the next start, of init" },
  { "image.", true, MC_KEY_STRING, NULL, true, "Properties of the image the container was made from" },
  { "limits.cpu", false, MC_KEY_CPUS, NULL, true,
    "CPUs the container may run on: a count (2) or a set (0-1,3); sets the cpuset" },
  { "limits.cpu.allowance", false, MC_KEY_ALLOWANCE, NULL, true,
    "CPU time: 50% (of one CPU, per 100ms period) or 25ms/100ms (quota/period); sets cpu.max or cfs quota" },
  { "limits.cpu.nodes", false, MC_KEY_NODES, NULL, true,
    "NUMA nodes the container's memory comes from: a set (0, 0-1,3); sets cpuset.mems" },
  { "limits.cpu.priority", false, MC_KEY_PRIORITY, "10", true,
    "CPU weight under contention, 0 (lowest) to 10 (highest); sets cpu.weight or cpu.shares" },
  { "limits.hugepages.1GB", false, MC_KEY_SIZE, NULL, true, "Huge pages of 1GB: a size limit (hugetlb controller)" },
  { "limits.hugepages.1MB", false, MC_KEY_SIZE, NULL, true, "Huge pages of 1MB: a size limit (hugetlb controller)" },
  { "limits.hugepages.2MB", false, MC_KEY_SIZE, NULL, true, "Huge pages of 2MB: a size limit (hugetlb controller)" },
  { "limits.hugepages.64KB", false, MC_KEY_SIZE, NULL, true, "Huge pages of 64KB: a size limit (hugetlb controller)" },
  { "limits.kernel.", true, MC_KEY_RLIMIT, NULL, false,
    "limits.kernel.NAME (nofile, nproc, memlock, core, stack, ...): init's resource limit, N, unlimited or "
    "SOFT:HARD" },
  { "limits.memory", false, MC_KEY_MEMORY, NULL, true,
    "Memory limit: a size (256MiB, 1GB) or a percentage of host memory (50%)" },
  { "limits.memory.enforce", false, MC_KEY_ENFORCE, "hard", true,
    "hard: the limit is a maximum (OOM kill beyond it); soft: reclaim pressure above it" },
  { "limits.memory.swap", false, MC_KEY_BOOL, "true", true,
    "Whether the container may use swap (false: none)" },
  { "limits.memory.swap.priority", false, MC_KEY_PRIORITY, NULL, true,
    "0 to 10: the higher, the less the container is swapped (cgroup v1's memory.swappiness)" },
  { "limits.processes", false, MC_KEY_UINT, NULL, true,
    "Maximum number of processes (pids.max); fork fails with EAGAIN beyond it" },
  { "linux.sysctl.", true, MC_KEY_SYSCTL, NULL, false,
    "linux.sysctl.NAME: a sysctl of the container's own network or IPC namespace (net.*, kernel.shm*, "
    "kernel.msg*, kernel.sem, fs.mqueue.*), set at start" },
  { "oci.cmd", false, MC_KEY_STRING, NULL, false,
    "An OCI image's command, replacing its Cmd: a JSON list ([\"sh\", \"-c\", \"...\"]) or words split on blanks" },
  { "oci.entrypoint", false, MC_KEY_STRING, NULL, false,
    "An OCI image's entrypoint, replacing its Entrypoint (and its Cmd, unless oci.cmd is set): as oci.cmd" },
  { "oci.cwd", false, MC_KEY_STRING, NULL, false,
    "An OCI image's process's working directory, replacing its WorkingDir (Incus's key)" },
  { "oci.gid", false, MC_KEY_UINT, NULL, false,
    "An OCI image's process's group id, replacing its User's group (Incus's key)" },
  { "oci.init", false, MC_KEY_OCI_INIT, "app", false,
    "An OCI image's PID 1: app (its Entrypoint and Cmd) or system (/sbin/init, as for a system container; "
    "Incus's way, oci.entrypoint=/sbin/init, too)" },
  { "oci.uid", false, MC_KEY_UINT, NULL, false,
    "An OCI image's process's user id, replacing its User (Incus's key)" },
  { "raw.idmap", false, MC_KEY_IDMAP, NULL, false,
    "Host ids mapped into the container as given, one `uid|gid|both HOST CONTAINER` per line (ranges N-M), "
    "outside the container's own range: e.g. `both 1000 1000` to share a host user's files" },
  { "security.idmap.isolated", false, MC_KEY_BOOL, "false", false,
    "Give the container a uid/gid range of its own (65536 ids) instead of the shared one" },
  { "security.nesting", false, MC_KEY_BOOL, "false", false,
    "LXD's nesting switch; nothing more is needed here: every unprivileged container's cgroup2 cgroup is delegated to its root" },
  { "security.privileged", false, MC_KEY_BOOL, "false", false,
    "Run without a user namespace: container root is host root" },
  { "security.protection.delete", false, MC_KEY_BOOL, "false", true,
    "Refuse to delete the container while true" },
  { "security.syscalls.allow", false, MC_KEY_SYSCALLS, NULL, false,
    "Only these system calls (comma-separated) are allowed; the others fail with EPERM" },
  { "security.syscalls.deny", false, MC_KEY_SYSCALLS, NULL, false,
    "These system calls (comma-separated) fail with EPERM, besides LXD's default ones" },
  { "security.syscalls.deny_compat", false, MC_KEY_BOOL, "false", false,
    "No 32-bit system call ABI (they fail with ENOSYS)" },
  { "security.syscalls.deny_default", false, MC_KEY_BOOL, "true", false,
    "LXD's default denials (kexec, modules, open_by_handle_at, forced umount)" },
  { "snapshots.expiry", false, MC_KEY_EXPIRY, NULL, true,
    "How long a snapshot is kept: 1M (minutes), 2H, 3d, 4w, 5m (months), 6y, combined (\"1w 2d\"); "
    "`admin snapshots` deletes expired ones" },
  { "snapshots.schedule", false, MC_KEY_SCHEDULE, NULL, true,
    "When `admin snapshots` (minictr-snapshots.timer, every minute) takes one: a cron expression "
    "(\"0 6 * * *\") or @hourly, @daily, @weekly, @monthly, @yearly" },
  { "snapshots.schedule.stopped", false, MC_KEY_BOOL, "false", true,
    "Whether scheduled snapshots are taken of the container while it is stopped" },
  { "user.", true, MC_KEY_STRING, NULL, true, "Free-form user keys" },
  { "volatile.", true, MC_KEY_STRING, NULL, false, "Managed by minictr (read-only)" },
};

const struct mc_config_key *
mc_config_keys (size_t *n)
{
  *n = sizeof (keys) / sizeof (keys[0]);
  return keys;
}

/* Levenshtein distance, capped: close enough to suggest.  */
static size_t
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b), i, j;
  size_t row[128];

  if (la >= 127 || lb >= 127)
    return SIZE_MAX;
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++)
    {
      size_t diag = row[0], tmp;

      row[0] = i;
      for (j = 1; j <= lb; j++)
        {
          size_t best = diag + (a[i - 1] != b[j - 1]);

          if (row[j] + 1 < best)
            best = row[j] + 1;
          if (row[j - 1] + 1 < best)
            best = row[j - 1] + 1;
          tmp = row[j];
          row[j] = best;
          diag = tmp;
        }
    }
  return row[lb];
}

static int
unknown_key (const char *key, mc_error_t *err)
{
  char hint[512] = "";
  size_t i, used = 0;

  for (i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    {
      const struct mc_config_key *k = &keys[i];
      size_t d = edit_distance (key, k->name);

      if (k->prefix || d > 3)
        continue;
      used += (size_t) snprintf (hint + used, sizeof (hint) - used, "%s`%s`",
                                 used ? " or " : " (did you mean ", k->name);
      if (used >= sizeof (hint) - 64)
        break;
    }
  if (used)
    snprintf (hint + used, sizeof (hint) - used, "?)");
  return mc_make_error (err, 0, "unknown config key `%s`%s", key, used ? hint : " (see `minictr config keys`)");
}

/* LXD keys that cannot apply to minictr's containers, with the reason
 * (a prefix when the name ends with a dot).  */
static const struct
{
  const char *name, *why;
} refused_keys[] = {
  { "raw.lxc", "is LXC's own configuration, and minictr does not run LXC (see `minictr config keys`)" },
  { "raw.apparmor", "needs AppArmor, which minictr does not use" },
  { "raw.seccomp", "is LXC's seccomp policy language (minictr's filter is its own)" },
  { "raw.qemu", "applies to virtual machines only" },
  { "raw.qemu.", "applies to virtual machines only" },
  { "security.secureboot", "applies to virtual machines only" },
  { "security.csm", "applies to virtual machines only" },
  { "security.sev", "applies to virtual machines only" },
  { "security.sev.", "applies to virtual machines only" },
  { "security.agent.metrics", "applies to virtual machines only" },
  { "limits.memory.hugepages", "applies to virtual machines only" },
  { "agent.nic_config", "applies to virtual machines only" },
  { "boot.debug_edk2", "applies to virtual machines only" },
  { "migration.stateful", "needs live migration (CRIU), which minictr does not do" },
};

const struct mc_config_key *
mc_config_key_find (const char *key, bool for_write, mc_error_t *err)
{
  size_t i;

  for (i = 0; i < sizeof (refused_keys) / sizeof (refused_keys[0]); i++)
    {
      const char *name = refused_keys[i].name;
      size_t n = strlen (name);

      if (name[n - 1] == '.' ? strncmp (key, name, n) == 0 : strcmp (key, name) == 0)
        {
          mc_make_error (err, 0, "config key `%s` %s", key, refused_keys[i].why);
          return NULL;
        }
    }

  for (i = 0; i < sizeof (keys) / sizeof (keys[0]); i++)
    {
      const struct mc_config_key *k = &keys[i];

      if (k->prefix ? (mc_str_has_prefix (key, k->name) && key[strlen (k->name)] != '\0')
                    : strcmp (key, k->name) == 0)
        {
          if (for_write && mc_str_has_prefix (key, "volatile."))
            {
              mc_make_error (err, 0, "config key `%s` is managed by minictr and cannot be changed", key);
              return NULL;
            }
          return k;
        }
    }
  unknown_key (key, err);
  return NULL;
}

/* ---- values ------------------------------------------------------------ */

static bool
parse_u64 (const char *s, uint64_t *out)
{
  char *end;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  *out = strtoull (s, &end, 10);
  return errno == 0 && *end == '\0';
}

static uint64_t
host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);

  return pages > 0 && size > 0 ? (uint64_t) pages * (uint64_t) size : 0;
}

int
mc_config_parse_memory (const char *value, uint64_t *bytes, mc_error_t *err)
{
  size_t len = strlen (value);
  uint64_t pct;

  if (len > 1 && value[len - 1] == '%')
    {
      cleanup_free char *num = xstrndup (value, len - 1);

      if (!parse_u64 (num, &pct) || pct == 0 || pct > 100)
        return mc_make_error (err, 0, "expected a percentage of host memory from 1%% to 100%%");
      *bytes = host_memory () / 100 * pct;
      return 0;
    }
  if (mc_parse_size (value, bytes, err) < 0)
    {
      mc_error_release (err);
      return mc_make_error (err, 0, "expected a size such as 256MiB or 1GB, or a percentage of host memory such as 50%%");
    }
  if (*bytes < 4096)
    return mc_make_error (err, 0, "expected at least 4096 bytes");
  return 0;
}

static long
online_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_CONF);

  return n > 0 ? n : 1;
}

int
mc_config_parse_cpus (const char *value, char **cpuset, mc_error_t *err)
{
  const char *p = value;
  long max = online_cpus ();
  uint64_t n;

  if (parse_u64 (value, &n))
    {
      if (n == 0 || n > (uint64_t) max)
        return mc_make_error (err, 0, "expected a CPU count from 1 to %ld, or a set such as 0-1,3", max);
      *cpuset = n == 1 ? xstrdup ("0") : xasprintf ("0-%" PRIu64, n - 1);
      return 0;
    }
  /* A set: comma-separated CPUs or ranges, all below the host's count.  */
  while (*p)
    {
      char *end;
      long a, b;

      if (!isdigit ((unsigned char) *p))
        goto bad;
      a = b = strtol (p, &end, 10);
      if (*end == '-')
        {
          if (!isdigit ((unsigned char) end[1]))
            goto bad;
          b = strtol (end + 1, &end, 10);
        }
      if (a > b || b >= max)
        return mc_make_error (err, 0, "CPU set `%s` names CPUs the host does not have (0-%ld)", value, max - 1);
      if (*end == ',' && end[1] != '\0')
        end++;
      else if (*end != '\0')
        goto bad;
      p = end;
    }
  if (*value == '\0')
    goto bad;
  *cpuset = xstrdup (value);
  return 0;
bad:
  return mc_make_error (err, 0, "expected a CPU count such as 2, or a CPU set such as 0-1,3");
}

/* "25ms" -> microseconds.  */
static bool
parse_ms (const char *s, size_t len, uint64_t *us)
{
  cleanup_free char *num = NULL;
  uint64_t v;

  if (len < 3 || strncmp (s + len - 2, "ms", 2) != 0)
    return false;
  num = xstrndup (s, len - 2);
  if (!parse_u64 (num, &v) || v == 0 || v > 1000000)
    return false;
  *us = v * 1000;
  return true;
}

int
mc_config_parse_allowance (const char *value, uint64_t *quota_us, uint64_t *period_us,
                           mc_error_t *err)
{
  size_t len = strlen (value);
  const char *slash = strchr (value, '/');
  uint64_t pct;

  if (len > 1 && value[len - 1] == '%')
    {
      cleanup_free char *num = xstrndup (value, len - 1);

      if (!parse_u64 (num, &pct) || pct == 0 || pct > 100 * (uint64_t) online_cpus ())
        return mc_make_error (err, 0, "expected a percentage from 1%% to %ld%% (100%% per CPU)", 100 * online_cpus ());
      *period_us = 100000;
      *quota_us = pct * 1000;
      return 0;
    }
  /* The kernel's bounds: a quota of at least 1 ms, a period of 1 ms to 1 s. */
  if (slash && parse_ms (value, (size_t) (slash - value), quota_us)
      && parse_ms (slash + 1, strlen (slash + 1), period_us) && *quota_us >= 1000
      && *period_us >= 1000 && *period_us <= 1000000)
    return 0;
  return mc_make_error (err, 0, "expected a percentage such as 50%% or a quota/period such as 25ms/100ms "
                        "(quota at least 1ms, period 1ms to 1000ms)");
}

int
mc_parse_signal (const char *s, int *sig, mc_error_t *err)
{
  const char *n = mc_str_has_prefix (s, "SIG") ? s + 3 : s;
  char *end;
  long v;

  if (mc_str_has_prefix (n, "RTMIN"))
    {
      v = n[5] == '+' ? strtol (n + 6, &end, 10) : 0;
      if ((n[5] != '\0' && (n[5] != '+' || *end != '\0')) || SIGRTMIN + v > SIGRTMAX)
        return mc_make_error (err, 0, "invalid signal `%s`", s);
      *sig = SIGRTMIN + (int) v;
      return 0;
    }
  v = strtol (n, &end, 10);
  if (*n != '\0' && *end == '\0' && v > 0 && v < NSIG)
    return (*sig = (int) v), 0;
  for (v = 1; v < SIGRTMIN; v++)
    if (sigabbrev_np ((int) v) && strcmp (sigabbrev_np ((int) v), n) == 0)
      return (*sig = (int) v), 0;
  return mc_make_error (err, 0, "invalid signal `%s`", s);
}

int
mc_config_parse_signal (const char *value, int *sig, mc_error_t *err)
{
  if (mc_parse_signal (value, sig, err) == 0)
    return 0;
  mc_error_release (err);
  return mc_make_error (err, 0, "expected a signal name or number such as SIGPWR, SIGRTMIN+3 or 30");
}

/* ---- values in documents ------------------------------------------------ */

const char *
mc_config_get (json_t *cfg, const char *key, const char *dflt)
{
  const char *v = json_string_value (json_object_get (json_object_get (cfg, "config"), key));
  return v ? v : dflt;
}

bool
mc_config_oci_system (json_t *cfg)
{
  const char *init = mc_config_get (cfg, "oci.init", NULL);
  const char *ep = mc_config_get (cfg, "oci.entrypoint", NULL);
  cleanup_json json_t *list = NULL;
  size_t n;

  if (init)
    return strcmp (init, "system") == 0;
  if (ep == NULL || mc_config_get (cfg, "oci.cmd", NULL) != NULL)
    return false;
  ep += strspn (ep, " \t");
  if (*ep == '[')
    {
      list = json_loads (ep, 0, NULL);
      return json_array_size (list) == 1 && json_is_string (json_array_get (list, 0))
             && strcmp (json_string_value (json_array_get (list, 0)), "/sbin/init") == 0;
    }
  n = strlen (ep);
  while (n > 0 && (ep[n - 1] == ' ' || ep[n - 1] == '\t'))
    n--;
  return n == 10 && strncmp (ep, "/sbin/init", 10) == 0;
}

bool
mc_config_get_bool (json_t *cfg, const char *key, bool dflt)
{
  const char *v = mc_config_get (cfg, key, NULL);

  if (v == NULL)
    return dflt;
  return strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcmp (v, "yes") == 0;
}

static int
check_value (const struct mc_config_key *k, const char *value, mc_error_t *err)
{
  cleanup_free char *cpus = NULL;
  uint64_t u, q;
  int sig;

  switch (k->type)
    {
    case MC_KEY_STRING:
      return 0;
    case MC_KEY_BOOL:
      if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
        return 0;
      return mc_make_error (err, 0, "expected true or false");
    case MC_KEY_UINT:
      if (parse_u64 (value, &u) && u > 0 && u <= INT32_MAX)
        return 0;
      return mc_make_error (err, 0, "expected a whole number from 1 to %d", INT32_MAX);
    case MC_KEY_MEMORY:
      return mc_config_parse_memory (value, &u, err);
    case MC_KEY_CPUS:
      return mc_config_parse_cpus (value, &cpus, err);
    case MC_KEY_ALLOWANCE:
      return mc_config_parse_allowance (value, &u, &q, err);
    case MC_KEY_NUMBER:
      if (parse_u64 (value, &u) && u <= INT32_MAX)
        return 0;
      return mc_make_error (err, 0, "expected a whole number from 0 to %d", INT32_MAX);
    case MC_KEY_PRIORITY:
      if (parse_u64 (value, &u) && u <= 10)
        return 0;
      return mc_make_error (err, 0, "expected a whole number from 0 to 10");
    case MC_KEY_ENFORCE:
      if (strcmp (value, "hard") == 0 || strcmp (value, "soft") == 0)
        return 0;
      return mc_make_error (err, 0, "expected hard or soft");
    case MC_KEY_OCI_INIT:
      if (strcmp (value, "app") == 0 || strcmp (value, "system") == 0)
        return 0;
      return mc_make_error (err, 0, "expected app or system");
    case MC_KEY_SIGNAL:
      return mc_config_parse_signal (value, &sig, err);
    case MC_KEY_SCHEDULE:
      return mc_schedule_validate (value, err);
    case MC_KEY_SIZE:
      return mc_parse_size (value, &u, err);
    case MC_KEY_NODES:
      {
        const char *p = value;

        /* N or N-M, comma-separated.  */
        for (;;)
          {
            if (*p < '0' || *p > '9')
              return mc_make_error (err, 0, "expected a set of NUMA nodes such as 0 or 0-1,3");
            while (*p >= '0' && *p <= '9')
              p++;
            if (*p == '-')
              {
                p++;
                if (*p < '0' || *p > '9')
                  return mc_make_error (err, 0, "expected a set of NUMA nodes such as 0 or 0-1,3");
                while (*p >= '0' && *p <= '9')
                  p++;
              }
            if (*p == '\0')
              return 0;
            if (*p++ != ',')
              return mc_make_error (err, 0, "expected a set of NUMA nodes such as 0 or 0-1,3");
          }
      }
    case MC_KEY_EXPIRY:
      return mc_expiry_validate (value, err);
    case MC_KEY_RLIMIT:
    case MC_KEY_SYSCTL:
    case MC_KEY_SYSCALLS:
    case MC_KEY_IDMAP:
      /* Checked with the key's name (mc_config_validate).  */
      return 0;
    }
  return 0;
}

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU }, { "data", RLIMIT_DATA },
  { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
  { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE }, { "nofile", RLIMIT_NOFILE },
  { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
  { "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

static bool
rlim_value (const char *s, size_t len, rlim_t *out)
{
  cleanup_free char *v = xstrndup (s, len);
  uint64_t u;

  if (strcmp (v, "unlimited") == 0)
    {
      *out = RLIM_INFINITY;
      return true;
    }
  if (!parse_u64 (v, &u))
    return false;
  *out = (rlim_t) u;
  return true;
}

int
mc_config_parse_rlimit (const char *key, const char *value, int *resource, struct rlimit *rl, mc_error_t *err)
{
  const char *name = key + strlen ("limits.kernel."), *colon = strchr (value, ':');
  size_t i;

  for (i = 0; i < sizeof (rlimits) / sizeof (rlimits[0]) && strcmp (rlimits[i].name, name) != 0; i++)
    ;
  if (i == sizeof (rlimits) / sizeof (rlimits[0]))
    return mc_make_error (err, 0, "unknown resource `%s` in `%s` (as, core, cpu, data, fsize, locks, memlock, "
                          "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", name, key);
  *resource = rlimits[i].resource;
  if (colon ? !rlim_value (value, (size_t) (colon - value), &rl->rlim_cur)
                || !rlim_value (colon + 1, strlen (colon + 1), &rl->rlim_max)
            : !rlim_value (value, strlen (value), &rl->rlim_cur))
    return mc_make_error (err, 0, "invalid value `%s` for `%s`: expected a number, unlimited, or SOFT:HARD", value,
                          key);
  if (!colon)
    rl->rlim_max = rl->rlim_cur;
  if (rl->rlim_cur > rl->rlim_max)
    return mc_make_error (err, 0, "invalid value `%s` for `%s`: the soft limit is above the hard one", value, key);
  return 0;
}

int
mc_config_sysctl_path (const char *key, char **path, bool *ipc, mc_error_t *err)
{
  static const char *const net[] = { "net." };
  static const char *const ipcs[] = { "kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.shm_rmid_forced",
                                      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                      "kernel.auto_msgmni", "fs.mqueue." };
  const char *name = key + strlen ("linux.sysctl.");
  char *p;
  size_t i;

  *ipc = false;
  for (i = 0; i < sizeof (ipcs) / sizeof (ipcs[0]); i++)
    if (ipcs[i][strlen (ipcs[i]) - 1] == '.' ? mc_str_has_prefix (name, ipcs[i]) : strcmp (name, ipcs[i]) == 0)
      *ipc = true;
  if (!*ipc && !mc_str_has_prefix (name, net[0]))
    return mc_make_error (err, 0, "`%s`: `%s` is not a sysctl of the container's own namespaces (net.*, kernel.shm*, "
                          "kernel.msg*, kernel.sem, fs.mqueue.*): it would change the host", key, name);
  if (strstr (name, "..") || strchr (name, '/') || name[strlen (name) - 1] == '.')
    return mc_make_error (err, 0, "`%s`: invalid sysctl name", key);
  *path = xstrdup (name);
  for (p = *path; *p; p++)
    if (*p == '.')
      *p = '/';
  return 0;
}

int
mc_config_validate (const char *key, const char *value, mc_error_t *err)
{
  const struct mc_config_key *k = mc_config_key_find (key, false, err);

  if (k == NULL)
    return -1;
  if (k->type == MC_KEY_RLIMIT)
    {
      struct rlimit rl;
      int res;

      return mc_config_parse_rlimit (key, value, &res, &rl, err);
    }
  if (k->type == MC_KEY_SYSCALLS)
    return mc_syscalls_validate (key, value, err);
  if (k->type == MC_KEY_IDMAP)
    {
      /* The syntax here; the container's own range is known at start.  */
      struct mc_idmap_set set;

      return mc_idmap_set_build (&set, 0, 0, value, NULL, err);
    }
  if (k->type == MC_KEY_SYSCTL)
    {
      cleanup_free char *path = NULL;
      bool ipc;

      if (mc_config_sysctl_path (key, &path, &ipc, err) < 0)
        return -1;
      if (*value == '\0' || strchr (value, '\n'))
        return mc_make_error (err, 0, "invalid value for `%s`: one line, not empty", key);
      return 0;
    }
  if (check_value (k, value, err) < 0)
    return mc_error_prefix (err, "invalid value `%s` for `%s`", value, key), -1;
  return 0;
}

/* ---- devices ------------------------------------------------------------ */

int
mc_config_validate_doc (json_t *doc, mc_error_t *err)
{
  json_t *config = json_object_get (doc, "config"), *devices = json_object_get (doc, "devices"), *v;
  const char *key;

  if (config && !json_is_object (config))
    return mc_make_error (err, 0, "`config` must be a mapping of keys to values");
  if (devices && !json_is_object (devices))
    return mc_make_error (err, 0, "`devices` must be a mapping of device names");
  json_object_foreach (config, key, v)
    {
      if (mc_str_has_prefix (key, "volatile."))
        continue;
      if (!json_is_string (v))
        return mc_make_error (err, 0, "config key `%s`: expected a string value", key);
      if (mc_config_validate (key, json_string_value (v), err) < 0)
        return -1;
    }
  json_object_foreach (devices, key, v)
    if (mc_device_validate (key, v, err) < 0)
      return -1;
  return mc_devices_root (devices, &v, NULL, err);
}
