/* Reading an OCI bundle's config.json (bundle.h).  */
#include "runtime/oci/bundle.h"
#include "lib/cleanup.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* A config.json is a few KiB; podman's, with its env and mounts, tens.  */
#define CONFIG_MAX (1u << 20)

static const char *const ns_names[MC_OCI_NS_N] = {
  [MC_OCI_NS_PID] = "pid",   [MC_OCI_NS_NETWORK] = "network", [MC_OCI_NS_MOUNT] = "mount",
  [MC_OCI_NS_IPC] = "ipc",   [MC_OCI_NS_UTS] = "uts",         [MC_OCI_NS_USER] = "user",
  [MC_OCI_NS_CGROUP] = "cgroup",
};

const char *
mc_oci_ns_name (enum mc_oci_ns ns)
{
  return ns < MC_OCI_NS_N ? ns_names[ns] : "?";
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

/* What errors are about: config.json, or exec's process file.  */
static __thread const char *doc_name = "config.json";

static int
bad (mc_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
bad (mc_error_t *err, const char *fmt, ...)
{
  cleanup_free char *what = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&what, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return mc_make_error (err, 0, "%s: %s", doc_name, what);
}

/* Keys of OBJ that are not in KEYS: refused, so that nothing asked for
 * is silently left out.  */
static int
only_keys (json_t *obj, const char *where, const char *const *keys, size_t n, mc_error_t *err)
{
  const char *k = mc_json_unknown_key (obj, keys, n);

  if (k)
    return bad (err, "`%s%s%s` is not supported by minictr", where, *where ? "." : "", k);
  return 0;
}

#define ONLY_KEYS(obj, where, err, ...)                                                                       \
  only_keys (obj, where, (const char *const[]) { __VA_ARGS__ },                                            \
             sizeof ((const char *const[]) { __VA_ARGS__ }) / sizeof (const char *), err)

/* OBJ[KEY] as an object (NULL when absent); an error when not one.  */
static int
get_object (json_t *obj, const char *key, const char *where, json_t **out, mc_error_t *err)
{
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_object (v))
    return bad (err, "`%s.%s` is not an object", where, key);
  *out = v;
  return 0;
}

/* An array of strings as a NULL-terminated vector (NULL when absent).  */
static int
get_strv (json_t *obj, const char *key, const char *where, char ***out, mc_error_t *err)
{
  json_t *v = json_object_get (obj, key), *s;
  size_t i;

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_array (v))
    return bad (err, "`%s.%s` is not a list", where, key);
  json_array_foreach (v, i, s)
    if (!json_is_string (s))
      return bad (err, "`%s.%s[%zu]` is not a string", where, key, i);
  *out = xmalloc0 ((json_array_size (v) + 1) * sizeof (char *));
  json_array_foreach (v, i, s)
    (*out)[i] = xstrdup (json_string_value (s));
  return 0;
}

static void
strv_free (char **v)
{
  char **p;

  for (p = v; p && *p; p++)
    free (*p);
  free (v);
}

/* An unsigned integer no larger than MAX.  */
static int
get_uint (json_t *obj, const char *key, const char *where, uint64_t max, bool *present, uint64_t *out,
          mc_error_t *err)
{
  json_t *v = json_object_get (obj, key);

  *present = v != NULL && !json_is_null (v);
  if (!*present)
    return 0;
  if (!json_is_integer (v) || json_integer_value (v) < 0 || (uint64_t) json_integer_value (v) > max)
    return bad (err, "`%s.%s` is not a number from 0 to %llu", where, key, (unsigned long long) max);
  *out = (uint64_t) json_integer_value (v);
  return 0;
}

static int
read_root (json_t *cfg, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *root = NULL, *ro;
  const char *path;
  struct stat st;

  if (get_object (cfg, "root", "", &root, err) < 0)
    return -1;
  path = json_string_value (json_object_get (root, "path"));
  if (path == NULL || *path == '\0')
    return bad (err, "`root.path` is missing");
  if (ONLY_KEYS (root, "root", err, "path", "readonly") < 0)
    return -1;
  ro = json_object_get (root, "readonly");
  if (ro && !json_is_boolean (ro))
    return bad (err, "`root.readonly` is not true or false");
  b->root_readonly = json_is_true (ro);
  b->root = path[0] == '/' ? xstrdup (path) : xasprintf ("%s/%s", b->dir, path);
  if (stat (b->root, &st) < 0)
    return mc_make_error (err, errno, "config.json: `root.path` `%s`", b->root);
  if (!S_ISDIR (st.st_mode))
    return mc_make_error (err, ENOTDIR, "config.json: `root.path` `%s`", b->root);
  return 0;
}

static int
read_caps (json_t *caps, struct mc_oci_bundle *b, mc_error_t *err)
{
  static const char *const sets[MC_OCI_CAPS_N] = { "bounding", "effective", "inheritable", "permitted",
                                                   "ambient" };
  int i;

  if (caps == NULL)
    return 0;
  if (ONLY_KEYS (caps, "process.capabilities", err, "bounding", "effective", "inheritable", "permitted",
                 "ambient")
      < 0)
    return -1;
  for (i = 0; i < MC_OCI_CAPS_N; i++)
    {
      json_t *list = json_object_get (caps, sets[i]), *v;
      size_t j;

      if (list == NULL || json_is_null (list))
        continue;
      if (!json_is_array (list))
        return bad (err, "`process.capabilities.%s` is not a list", sets[i]);
      json_array_foreach (list, j, v)
        {
          cap_value_t cap;

          if (!json_is_string (v) || cap_from_name (json_string_value (v), &cap) < 0 || cap < 0 || cap > 63)
            return bad (err, "`process.capabilities.%s[%zu]`: unknown capability `%s`", sets[i], j,
                        json_is_string (v) ? json_string_value (v) : "(not a string)");
          b->caps[i] |= UINT64_C (1) << cap;
        }
    }
  return 0;
}

static int
read_rlimits (json_t *list, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *v;
  size_t i, j;

  if (list == NULL || json_is_null (list))
    return 0;
  if (!json_is_array (list))
    return bad (err, "`process.rlimits` is not a list");
  b->rlimits = xmalloc0 ((json_array_size (list) + 1) * sizeof (*b->rlimits));
  json_array_foreach (list, i, v)
    {
      const char *type = json_string_value (json_object_get (v, "type"));
      uint64_t hard = 0, soft = 0;
      bool has_hard, has_soft;

      for (j = 0; type && j < N_ELEMENTS (rlimit_names); j++)
        if (strcmp (type, rlimit_names[j].name) == 0)
          break;
      if (type == NULL || j == N_ELEMENTS (rlimit_names))
        return bad (err, "`process.rlimits[%zu]`: unknown type `%s`", i, type ? type : "(none)");
      if (get_uint (v, "hard", "process.rlimits[]", UINT64_MAX >> 1, &has_hard, &hard, err) < 0
          || get_uint (v, "soft", "process.rlimits[]", UINT64_MAX >> 1, &has_soft, &soft, err) < 0)
        return -1;
      if (!has_hard || !has_soft)
        return bad (err, "`process.rlimits[%zu]` (%s) needs both `soft` and `hard`", i, type);
      if (soft > hard)
        return bad (err, "`process.rlimits[%zu]` (%s): soft %llu is over hard %llu", i, type,
                    (unsigned long long) soft, (unsigned long long) hard);
      b->rlimits[b->n_rlimits].resource = rlimit_names[j].resource;
      b->rlimits[b->n_rlimits].limit.rlim_cur = (rlim_t) soft;
      b->rlimits[b->n_rlimits].limit.rlim_max = (rlim_t) hard;
      b->n_rlimits++;
    }
  return 0;
}

static int
read_process (json_t *cfg, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *p = NULL, *user = NULL, *v;
  uint64_t n = 0;
  bool present;
  size_t i;

  if (get_object (cfg, "process", "", &p, err) < 0)
    return -1;
  if (p == NULL)
    return bad (err, "`process` is missing");
  if (ONLY_KEYS (p, "process", err, "terminal", "consoleSize", "user", "args", "env", "cwd",
                 "capabilities", "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj",
                 "selinuxLabel")
          < 0
      || get_strv (p, "args", "process", &b->args, err) < 0 || get_strv (p, "env", "process", &b->env, err) < 0)
    return -1;
  if (b->args == NULL || b->args[0] == NULL || b->args[0][0] == '\0')
    return bad (err, "`process.args` is empty: there is nothing to run");
  if (b->env == NULL)
    b->env = xmalloc0 (sizeof (char *));
  v = json_object_get (p, "cwd");
  if (!json_is_string (v) || json_string_value (v)[0] != '/')
    return bad (err, "`process.cwd` is not an absolute path");
  b->cwd = xstrdup (json_string_value (v));
  v = json_object_get (p, "terminal");
  if (v && !json_is_boolean (v))
    return bad (err, "`process.terminal` is not true or false");
  b->terminal = json_is_true (v);
  v = json_object_get (p, "noNewPrivileges");
  if (v && !json_is_boolean (v))
    return bad (err, "`process.noNewPrivileges` is not true or false");
  b->no_new_privileges = json_is_true (v);
  if (get_object (p, "user", "process", &user, err) < 0)
    return -1;
  if (user)
    {
      json_t *gids = json_object_get (user, "additionalGids");

      if (ONLY_KEYS (user, "process.user", err, "uid", "gid", "umask", "additionalGids") < 0
          || get_uint (user, "uid", "process.user", UINT32_MAX - 1, &present, &n, err) < 0)
        return -1;
      b->uid = (uid_t) n;
      n = 0;
      if (get_uint (user, "gid", "process.user", UINT32_MAX - 1, &present, &n, err) < 0)
        return -1;
      b->gid = (gid_t) n;
      if (get_uint (user, "umask", "process.user", 0777, &present, &n, err) < 0)
        return -1;
      if (present)
        b->umask = (int) n;
      if (gids && !json_is_array (gids))
        return bad (err, "`process.user.additionalGids` is not a list");
      b->additional_gids = xmalloc0 ((json_array_size (gids) + 1) * sizeof (gid_t));
      json_array_foreach (gids, i, v)
        {
          if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) >= UINT32_MAX)
            return bad (err, "`process.user.additionalGids[%zu]` is not a group id", i);
          b->additional_gids[b->n_additional_gids++] = (gid_t) json_integer_value (v);
        }
    }
  /* oomScoreAdj: -1000 to 1000, written by the process itself.
     apparmorProfile and selinuxLabel: minictr confines with namespaces,
     seccomp and capabilities, not LSM labels (an empty one is no
     request).  */
  v = json_object_get (p, "oomScoreAdj");
  if (v && !json_is_null (v))
    {
      if (!json_is_integer (v) || json_integer_value (v) < -1000 || json_integer_value (v) > 1000)
        return bad (err, "`process.oomScoreAdj` is not a number from -1000 to 1000");
      b->has_oom_score_adj = true;
      b->oom_score_adj = (int) json_integer_value (v);
    }
  if (get_object (p, "consoleSize", "process", &v, err) < 0)
    return -1;
  if (v)
    {
      uint64_t rows = 0, cols = 0;

      if (ONLY_KEYS (v, "process.consoleSize", err, "height", "width") < 0
          || get_uint (v, "height", "process.consoleSize", UINT16_MAX, &present, &rows, err) < 0
          || get_uint (v, "width", "process.consoleSize", UINT16_MAX, &present, &cols, err) < 0)
        return -1;
      b->console_rows = (unsigned short) rows;
      b->console_cols = (unsigned short) cols;
    }
  v = json_object_get (p, "apparmorProfile");
  if (v && !(json_is_string (v) && json_string_length (v) == 0))
    return bad (err, "`process.apparmorProfile` is not supported by minictr (no LSM labels)");
  v = json_object_get (p, "selinuxLabel");
  if (v && !(json_is_string (v) && json_string_length (v) == 0))
    return bad (err, "`process.selinuxLabel` is not supported by minictr (no LSM labels)");
  return read_caps (json_object_get (p, "capabilities"), b, err) < 0
             ? -1
             : read_rlimits (json_object_get (p, "rlimits"), b, err);
}

static int
read_mappings (json_t *list, const char *what, struct mc_idmap_list *out, mc_error_t *err)
{
  json_t *v;
  size_t i;

  if (!json_is_array (list) || json_array_size (list) == 0)
    return bad (err, "a user namespace needs `linux.%s`", what);
  if (json_array_size (list) > MC_IDMAP_MAX_EXTENTS)
    return bad (err, "`linux.%s` has more than %d entries", what, MC_IDMAP_MAX_EXTENTS);
  json_array_foreach (list, i, v)
    {
      uint64_t ns = 0, host = 0, size = 0;
      bool p1, p2, p3;

      if (get_uint (v, "containerID", what, UINT32_MAX - 1, &p1, &ns, err) < 0
          || get_uint (v, "hostID", what, UINT32_MAX - 1, &p2, &host, err) < 0
          || get_uint (v, "size", what, UINT32_MAX, &p3, &size, err) < 0)
        return -1;
      if (!p1 || !p2 || !p3 || size == 0 || ns + size > (uint64_t) UINT32_MAX + 1
          || host + size > (uint64_t) UINT32_MAX + 1)
        return bad (err, "`linux.%s[%zu]` needs containerID, hostID and a size that fits", what, i);
      out->e[out->n].ns = (uint32_t) ns;
      out->e[out->n].host = (uint32_t) host;
      out->e[out->n].count = (uint32_t) size;
      out->n++;
    }
  return 0;
}

static int
read_namespaces (json_t *lx, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *list = json_object_get (lx, "namespaces"), *v;
  size_t i;
  int t;

  if (list && !json_is_array (list))
    return bad (err, "`linux.namespaces` is not a list");
  json_array_foreach (list, i, v)
    {
      const char *type = json_string_value (json_object_get (v, "type"));

      for (t = 0; type && t < (int) MC_OCI_NS_N; t++)
        if (strcmp (type, ns_names[t]) == 0)
          break;
      if (type == NULL || t == MC_OCI_NS_N)
        return bad (err, "`linux.namespaces[%zu]`: %s namespace type `%s`", i,
                    type && strcmp (type, "time") == 0 ? "unsupported" : "unknown", type ? type : "(none)");
      if (b->ns[t])
        return bad (err, "`linux.namespaces`: `%s` is there twice", type);
      if (json_object_get (v, "path"))
        {
          const char *path = json_string_value (json_object_get (v, "path"));

          /* A pod's: its network, ipc, uts and pid namespaces, joined.  */
          if (t != MC_OCI_NS_NETWORK && t != MC_OCI_NS_IPC && t != MC_OCI_NS_UTS && t != MC_OCI_NS_PID)
            return bad (err, "`linux.namespaces[%zu]`: joining a %s namespace by path is not supported by minictr",
                        i, type);
          if (path == NULL || path[0] != '/')
            return bad (err, "`linux.namespaces[%zu].path` is not an absolute path", i);
          b->ns_path[t] = xstrdup (path);
        }
      b->ns[t] = true;
    }
  if (!b->ns[MC_OCI_NS_MOUNT])
    return bad (err, "`linux.namespaces` has no `mount`: minictr always gives a container its own");
  if (b->ns[MC_OCI_NS_USER])
    return read_mappings (json_object_get (lx, "uidMappings"), "uidMappings", &b->idmap.uid, err) < 0
               ? -1
               : read_mappings (json_object_get (lx, "gidMappings"), "gidMappings", &b->idmap.gid, err);
  if (json_array_size (json_object_get (lx, "uidMappings")))
    return bad (err, "`linux.uidMappings` without a user namespace");
  if (json_array_size (json_object_get (lx, "gidMappings")))
    return bad (err, "`linux.gidMappings` without a user namespace");
  return 0;
}

static int
read_resources (json_t *lx, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *r = NULL, *mem = NULL, *pids = NULL, *cpu = NULL, *v;
  size_t i;

  if (get_object (lx, "resources", "linux", &r, err) < 0)
    return -1;
  if (r == NULL)
    return 0;
  if (ONLY_KEYS (r, "linux.resources", err, "memory", "pids", "cpu", "devices") < 0
      || get_object (r, "memory", "linux.resources", &mem, err) < 0
      || get_object (r, "pids", "linux.resources", &pids, err) < 0
      || get_object (r, "cpu", "linux.resources", &cpu, err) < 0)
    return -1;
  if (cpu)
    {
      bool present;
      uint64_t n = 0;

      if (ONLY_KEYS (cpu, "linux.resources.cpu", err, "shares", "quota", "period", "cpus", "mems",
                     "realtimeRuntime", "realtimePeriod")
              < 0
          || get_uint (cpu, "shares", "linux.resources.cpu", 262144, &present, &b->cpu_shares, err) < 0
          || get_uint (cpu, "period", "linux.resources.cpu", 1000000, &present, &b->cpu_period, err) < 0)
        return -1;
      if (b->cpu_shares == 1)
        return bad (err, "`linux.resources.cpu.shares` is below 2");
      if (b->cpu_period && b->cpu_period < 1000)
        return bad (err, "`linux.resources.cpu.period` is below 1000 (microseconds)");
      v = json_object_get (cpu, "quota");
      if (v && (!json_is_integer (v) || (json_integer_value (v) < 1000 && json_integer_value (v) != -1
                                         && json_integer_value (v) != 0)))
        return bad (err, "`linux.resources.cpu.quota` is not a time in microseconds of at least 1000 (or -1)");
      b->cpu_quota = v ? json_integer_value (v) : 0;
      for (i = 0; i < 2; i++)
        {
          const char *key = i ? "mems" : "cpus";
          const char *p;

          v = json_object_get (cpu, key);
          if (v == NULL || (json_is_string (v) && json_string_length (v) == 0))
            continue;
          if (!json_is_string (v))
            return bad (err, "`linux.resources.cpu.%s` is not a string", key);
          for (p = json_string_value (v); *p; p++)
            if (!strchr ("0123456789,-", *p))
              return bad (err, "`linux.resources.cpu.%s` `%s` is not a list of numbers and ranges", key,
                          json_string_value (v));
          *(i ? &b->cpu_mems : &b->cpu_cpus) = xstrdup (json_string_value (v));
        }
      /* Real-time scheduling: not carried out; 0 is no request.  */
      if (get_uint (cpu, "realtimeRuntime", "linux.resources.cpu", UINT64_MAX >> 1, &present, &n, err) < 0)
        return -1;
      if (n)
        return bad (err, "`linux.resources.cpu.realtimeRuntime` is not supported by minictr");
      n = 0;
      if (get_uint (cpu, "realtimePeriod", "linux.resources.cpu", UINT64_MAX >> 1, &present, &n, err) < 0)
        return -1;
      if (n)
        return bad (err, "`linux.resources.cpu.realtimePeriod` is not supported by minictr");
    }
  if (mem)
    {
      if (ONLY_KEYS (mem, "linux.resources.memory", err, "limit", "swap") < 0)
        return -1;
      v = json_object_get (mem, "limit");
      if (v && (!json_is_integer (v) || (json_integer_value (v) <= 0 && json_integer_value (v) != -1)))
        return bad (err, "`linux.resources.memory.limit` is not a size in bytes (or -1)");
      if (v && json_integer_value (v) > 0)
        b->memory_limit = json_integer_value (v);
      /* swap: memory and swap together, as runc and cgroup1's memsw.  */
      v = json_object_get (mem, "swap");
      if (v && (!json_is_integer (v) || (json_integer_value (v) <= 0 && json_integer_value (v) != -1)))
        return bad (err, "`linux.resources.memory.swap` is not a size in bytes (or -1)");
      if (v && json_integer_value (v) > 0 && (b->memory_limit < 0 || json_integer_value (v) < b->memory_limit))
        return bad (err, "`linux.resources.memory.swap` (memory and swap) is below `limit`, or has none");
      if (v)
        b->memory_swap = json_integer_value (v);
    }
  if (pids)
    {
      if (ONLY_KEYS (pids, "linux.resources.pids", err, "limit") < 0)
        return -1;
      v = json_object_get (pids, "limit");
      if (v && (!json_is_integer (v) || json_integer_value (v) == 0 || json_integer_value (v) < -1))
        return bad (err, "`linux.resources.pids.limit` is not a number of processes (or -1)");
      if (v && json_integer_value (v) > 0)
        b->pids_limit = json_integer_value (v);
    }
  /* devices: every runtime-spec config denies all then allows the usual
     nodes; minictr's containers get exactly those (runtime/cgroup/devices.c),
     so a rule that allows every device is refused.  */
  json_array_foreach (json_object_get (r, "devices"), i, v)
    if (json_is_true (json_object_get (v, "allow")) && json_object_get (v, "major") == NULL
        && json_object_get (v, "type") == NULL)
      return bad (err, "`linux.resources.devices[%zu]`: allowing every device is not supported by minictr", i);
  return 0;
}

static int
read_mounts (json_t *cfg, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *list = json_object_get (cfg, "mounts"), *v;
  size_t i;

  if (list && !json_is_array (list))
    return bad (err, "`mounts` is not a list");
  b->mounts = xmalloc0 ((json_array_size (list) + 1) * sizeof (*b->mounts));
  json_array_foreach (list, i, v)
    {
      struct mc_oci_mount *m = &b->mounts[b->n_mounts];
      const char *dest = json_string_value (json_object_get (v, "destination"));
      const char *type = json_string_value (json_object_get (v, "type"));
      const char *source = json_string_value (json_object_get (v, "source"));

      if (!json_is_object (v) || ONLY_KEYS (v, "mounts[]", err, "destination", "type", "source", "options") < 0)
        return json_is_object (v) ? -1 : bad (err, "`mounts[%zu]` is not an object", i);
      if (dest == NULL || dest[0] != '/')
        return bad (err, "`mounts[%zu].destination` is not an absolute path", i);
      m->destination = xstrdup (dest);
      m->type = xstrdup (type ? type : "");
      m->source = xstrdup (source ? source : "");
      b->n_mounts++;
      if (get_strv (v, "options", "mounts[]", &m->options, err) < 0)
        return -1;
      if (m->options == NULL)
        m->options = xmalloc0 (sizeof (char *));
    }
  return 0;
}

static int
read_linux (json_t *cfg, struct mc_oci_bundle *b, mc_error_t *err)
{
  json_t *lx = NULL, *v;
  const char *path;

  if (get_object (cfg, "linux", "", &lx, err) < 0)
    return -1;
  if (lx == NULL)
    return bad (err, "`linux` is missing");
  if (ONLY_KEYS (lx, "linux", err, "namespaces", "uidMappings", "gidMappings", "resources", "cgroupsPath",
                 "maskedPaths", "readonlyPaths", "mountLabel", "rootfsPropagation", "sysctl", "seccomp")
          < 0
      || read_namespaces (lx, b, err) < 0 || read_resources (lx, b, err) < 0
      || get_strv (lx, "maskedPaths", "linux", &b->masked_paths, err) < 0
      || get_strv (lx, "readonlyPaths", "linux", &b->readonly_paths, err) < 0)
    return -1;
  v = json_object_get (lx, "cgroupsPath");
  if (v && !json_is_string (v))
    return bad (err, "`linux.cgroupsPath` is not a string");
  path = json_string_value (v);
  if (path && *path)
    b->cgroups_path = xstrdup (path);
  v = json_object_get (lx, "mountLabel");
  if (v && !(json_is_string (v) && json_string_length (v) == 0))
    return bad (err, "`linux.mountLabel` is not supported by minictr (no LSM labels)");
  v = json_object_get (lx, "rootfsPropagation");
  if (v && !(json_is_string (v) && (strcmp (json_string_value (v), "private") == 0
                                    || strcmp (json_string_value (v), "rprivate") == 0)))
    return bad (err, "`linux.rootfsPropagation`: only `private` or `rprivate` (minictr's) is supported");
  v = json_object_get (lx, "sysctl");
  if (v && !json_is_object (v))
    return bad (err, "`linux.sysctl` is not an object");
  b->sysctl = json_object ();
  {
    const char *key;
    json_t *val;

    json_object_foreach (v, key, val)
      {
        if (!json_is_string (val))
          return bad (err, "`linux.sysctl.%s` is not a string", key);
        json_object_set (b->sysctl, key, val);
      }
  }
  if (b->masked_paths == NULL)
    b->masked_paths = xmalloc0 (sizeof (char *));
  if (b->readonly_paths == NULL)
    b->readonly_paths = xmalloc0 (sizeof (char *));
  return 0;
}

/* hooks: each list checked (an absolute path, args and env lists of
 * strings, a timeout of whole seconds); kept as given.  */
static int
read_hooks (json_t *hooks, struct mc_oci_bundle *b, mc_error_t *err)
{
  static const char *const kinds[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                       "poststart", "poststop" };
  json_t *list, *h, *v;
  size_t i, k;

  if (hooks == NULL || json_is_null (hooks))
    return 0;
  if (ONLY_KEYS (hooks, "hooks", err, "prestart", "createRuntime", "createContainer", "startContainer",
                 "poststart", "poststop")
      < 0)
    return -1;
  for (k = 0; k < sizeof (kinds) / sizeof (kinds[0]); k++)
    {
      list = json_object_get (hooks, kinds[k]);
      if (list == NULL || json_is_null (list))
        continue;
      if (!json_is_array (list))
        return bad (err, "`hooks.%s` is not a list", kinds[k]);
      json_array_foreach (list, i, h)
        {
          const char *path = json_string_value (json_object_get (h, "path"));
          cleanup_free char *where = xasprintf ("hooks.%s[%zu]", kinds[k], i);
          char **strv = NULL;
          bool present;
          uint64_t n;

          if (ONLY_KEYS (h, where, err, "path", "args", "env", "timeout") < 0)
            return -1;
          if (path == NULL || path[0] != '/')
            return bad (err, "`%s.path` is not an absolute path", where);
          if (get_strv (h, "args", where, &strv, err) < 0)
            return -1;
          strv_free (strv);
          strv = NULL;
          if (get_strv (h, "env", where, &strv, err) < 0)
            return -1;
          strv_free (strv);
          v = json_object_get (h, "timeout");
          if (get_uint (h, "timeout", where, 86400, &present, &n, err) < 0)
            return -1;
          if (v && present && n == 0)
            return bad (err, "`%s.timeout` is not a number of seconds over 0", where);
        }
    }
  b->hooks = json_incref (hooks);
  return 0;
}

int
mc_oci_bundle_read (const char *dir, struct mc_oci_bundle *b, mc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *path = NULL;
  cleanup_json json_t *cfg = NULL;
  char abs[PATH_MAX];
  json_error_t jerr;
  const char *version, *hostname;
  json_t *v;
  size_t len;

  memset (b, 0, sizeof (*b));
  b->memory_limit = b->pids_limit = -1;
  b->umask = -1;
  if (realpath (dir, abs) == NULL)
    return mc_make_error (err, errno, "bundle `%s`", dir);
  b->dir = xstrdup (abs);
  path = xasprintf ("%s/config.json", abs);
  if (mc_read_file_at (AT_FDCWD, path, CONFIG_MAX, &text, &len, err) < 0)
    return mc_error_prefix (err, "bundle `%s`", dir);
  cfg = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (cfg == NULL || !json_is_object (cfg))
    return mc_make_error (err, 0, "config.json: line %d: %s", jerr.line,
                          cfg ? "not a JSON object" : jerr.text);
  version = json_string_value (json_object_get (cfg, "ociVersion"));
  if (version == NULL || strncmp (version, "1.", 2) != 0)
    return bad (err, "`ociVersion` `%s` is not 1.x", version ? version : "(none)");
  if (read_hooks (json_object_get (cfg, "hooks"), b, err) < 0)
    return -1;
  /* seccomp: kept as given, compiled by runtime/oci/seccomp.c.  */
  v = json_object_get (json_object_get (cfg, "linux"), "seccomp");
  if (v && !json_is_null (v))
    b->seccomp = json_incref (v);
  if (ONLY_KEYS (cfg, "", err, "ociVersion", "root", "process", "hostname", "mounts", "linux", "annotations",
                 "hooks")
          < 0
      || read_root (cfg, b, err) < 0 || read_process (cfg, b, err) < 0 || read_mounts (cfg, b, err) < 0
      || read_linux (cfg, b, err) < 0)
    return -1;
  v = json_object_get (cfg, "hostname");
  if (v && !json_is_string (v))
    return bad (err, "`hostname` is not a string");
  hostname = json_string_value (v);
  if (hostname && *hostname)
    {
      if (!b->ns[MC_OCI_NS_UTS])
        return bad (err, "`hostname` without a uts namespace");
      if (strlen (hostname) > 64)
        return bad (err, "`hostname` is longer than 64 bytes");
      b->hostname = xstrdup (hostname);
    }
  v = json_object_get (cfg, "annotations");
  if (v && !json_is_object (v))
    return bad (err, "`annotations` is not an object");
  b->annotations = v ? json_incref (v) : json_object ();
  return 0;
}

int
mc_oci_process_read (const char *path, struct mc_oci_bundle *b, mc_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *cfg = NULL;
  json_error_t jerr;
  json_t *p;
  size_t len;
  int r;

  memset (b, 0, sizeof (*b));
  b->memory_limit = b->pids_limit = -1;
  b->umask = -1;
  if (mc_read_file_at (AT_FDCWD, path, CONFIG_MAX, &text, &len, err) < 0)
    return mc_error_prefix (err, "--process");
  p = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (p == NULL || !json_is_object (p))
    {
      json_decref (p);
      return mc_make_error (err, 0, "--process `%s`: line %d: %s", path, jerr.line,
                            p ? "not a JSON object" : jerr.text);
    }
  cfg = json_pack ("{s:o}", "process", p);
  doc_name = path;
  r = read_process (cfg, b, err);
  doc_name = "config.json";
  return r;
}

int
mc_oci_resources_read (json_t *resources, struct mc_oci_bundle *b, mc_error_t *err)
{
  cleanup_json json_t *lx = NULL;
  int r;

  memset (b, 0, sizeof (*b));
  b->memory_limit = b->pids_limit = -1;
  b->umask = -1;
  if (!json_is_object (resources))
    return mc_make_error (err, 0, "--resources: not a JSON object");
  lx = json_pack ("{s:O}", "resources", resources);
  doc_name = "--resources";
  r = read_resources (lx, b, err);
  doc_name = "config.json";
  return r;
}

void
mc_oci_bundle_release (struct mc_oci_bundle *b)
{
  size_t i;

  free (b->dir);
  free (b->root);
  free (b->hostname);
  strv_free (b->args);
  strv_free (b->env);
  free (b->cwd);
  free (b->additional_gids);
  free (b->rlimits);
  for (i = 0; i < b->n_mounts; i++)
    {
      free (b->mounts[i].destination);
      free (b->mounts[i].type);
      free (b->mounts[i].source);
      strv_free (b->mounts[i].options);
    }
  free (b->mounts);
  free (b->cgroups_path);
  free (b->cpu_cpus);
  free (b->cpu_mems);
  strv_free (b->masked_paths);
  strv_free (b->readonly_paths);
  json_decref (b->annotations);
  json_decref (b->sysctl);
  json_decref (b->seccomp);
  json_decref (b->hooks);
  for (i = 0; i < MC_OCI_NS_N; i++)
    free (b->ns_path[i]);
  memset (b, 0, sizeof (*b));
}

/* ---- the default config ---------------------------------------------------- */

static json_t *
mount_of (const char *dest, const char *type, const char *source, const char *options)
{
  cleanup_free char *opts = xstrdup (options);
  json_t *list = json_array ();
  char *o, *save = NULL;

  for (o = strtok_r (opts, ",", &save); o; o = strtok_r (NULL, ",", &save))
    json_array_append_new (list, json_string (o));
  return json_pack ("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source, "options", list);
}

json_t *
mc_oci_spec_default (bool rootless, uid_t uid, gid_t gid)
{
  json_t *caps = json_pack ("[s, s, s]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  json_t *mounts = json_array (), *ns = json_array (), *lx;
  static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
  size_t i;

  json_array_append_new (mounts, mount_of ("/proc", "proc", "proc", ""));
  json_array_append_new (mounts, mount_of ("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new (mounts, mount_of ("/dev/pts", "devpts", "devpts",
                                           rootless ? "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620"
                                                    : "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new (mounts, mount_of ("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
  json_array_append_new (mounts, mount_of ("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
  if (rootless)
    json_array_append_new (mounts, mount_of ("/sys", "none", "/sys", "rbind,nosuid,noexec,nodev,ro"));
  else
    {
      json_array_append_new (mounts, mount_of ("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
      json_array_append_new (mounts, mount_of ("/sys/fs/cgroup", "cgroup", "cgroup",
                                               "nosuid,noexec,nodev,relatime,ro"));
    }
  for (i = 0; i < N_ELEMENTS (namespaces); i++)
    json_array_append_new (ns, json_pack ("{s:s}", "type", namespaces[i]));
  lx = json_pack (
      "{s:o, s:[s,s,s,s,s,s,s,s,s,s,s,s], s:[s,s,s,s,s]}", "namespaces", ns, "maskedPaths", "/proc/acpi",
      "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap",
      "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  if (rootless)
    {
      json_array_append_new (ns, json_pack ("{s:s}", "type", "user"));
      json_object_set_new (lx, "uidMappings",
                           json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t) uid, "size", 1));
      json_object_set_new (lx, "gidMappings",
                           json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t) gid, "size", 1));
    }
  else
    json_object_set_new (lx, "resources",
                         json_pack ("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
  json_t *spec;

  spec = json_pack ("{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:O, s:O, s:O}, "
                    "s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s, s:o, s:o}",
                    "ociVersion", "1.0.2", "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/",
                    "capabilities", "bounding", caps, "effective", caps, "permitted", caps, "rlimits", "type",
                    "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1, "root", "path", "rootfs",
                    "readonly", 1, "hostname", "minictr", "mounts", mounts, "linux", lx);
  json_decref (caps);
  return spec;
}
