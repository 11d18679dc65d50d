#include "runtime/state.h"
#include "runtime/cgroup/cgroup.h"
#include "lib/paths.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
mc_status_name (enum mc_status s)
{
  switch (s)
    {
    case MC_STATUS_RUNNING:
      return "Running";
    case MC_STATUS_FROZEN:
      return "Frozen";
    case MC_STATUS_STOPPED:
    default:
      return "Stopped";
    }
}

uint64_t
mc_proc_start_time (pid_t pid)
{
  char path[64], buf[1024];
  const char *p;
  ssize_t n;
  int fd, field;

  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may hold spaces and parentheses: fields start after the last ')'. */
  p = strrchr (buf, ')');
  for (field = 2; p && field < 22; field++)
    p = strchr (p + 1, ' ');
  return p ? strtoull (p + 1, NULL, 10) : 0;
}

bool
mc_proc_alive (pid_t pid, uint64_t start)
{
  return pid > 0 && start != 0 && mc_proc_start_time (pid) == start;
}

char *
mc_state_dir_of (const char *name, bool create, mc_error_t *err)
{
  const char *run = mc_run_dir (err);
  char *dir;

  if (run == NULL)
    return NULL;
  dir = xasprintf ("%s/%s", run, name);
  if (create && mc_mkdir_p (dir, 0700, err) < 0)
    {
      free (dir);
      return NULL;
    }
  return dir;
}

char *
mc_state_file_of (const char *name, const char *file, bool create)
{
  mc_error_t e = NULL;
  cleanup_free char *dir = mc_state_dir_of (name, create, &e);

  mc_error_release (&e);
  return dir ? xasprintf ("%s/%s", dir, file) : NULL;
}

int
mc_state_write (const char *name, const struct mc_run_state *st, mc_error_t *err)
{
  cleanup_free char *dir = mc_state_dir_of (name, true, err);
  cleanup_free char *buf = NULL;
  cleanup_close int dfd = -1;
  json_t *doc;
  size_t len;
  int ret;

  if (dir == NULL)
    return -1;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  doc = json_pack ("{s:I, s:I, s:I, s:I, s:I}", "pid", (json_int_t) st->pid,
                   "pid_start", (json_int_t) st->pid_start, "monitor", (json_int_t) st->monitor,
                   "monitor_start", (json_int_t) st->monitor_start,
                   "started_at", (json_int_t) st->started_at);
  /* cgroup: {parent, placement: [lines of /proc/self/cgroup]}.  */
  if (st->cgroup_parent && st->cgroup_placement)
    {
      cleanup_free char *copy = xstrdup (st->cgroup_placement);
      json_t *lines = json_array ();
      char *line, *save = NULL;

      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        json_array_append_new (lines, json_string (line));
      json_object_set_new (doc, "cgroup", json_pack ("{s:s, s:o}", "parent", st->cgroup_parent,
                                                     "placement", lines));
    }
  ret = mc_yaml_dump (doc, &buf, &len, err);
  json_decref (doc);
  if (ret < 0)
    return -1;
  return mc_write_file_atomic_at (dfd, "state.yaml", buf, len, 0600, err);
}

static int64_t
get_int (json_t *doc, const char *key)
{
  int64_t v = 0;

  if (mc_json_get_int64 (json_object_get (doc, key), &v) < 0)
    return 0;
  return v;
}

/* NAME's state.yaml: 1 and *DOC, 0 when there is none.  */
static int
load_state (const char *name, json_t **doc, mc_error_t *err)
{
  cleanup_free char *dir = mc_state_dir_of (name, false, err);
  cleanup_free char *path = NULL, *buf = NULL;
  mc_error_t read_err = NULL;
  size_t len;

  if (dir == NULL)
    return -1;
  path = xasprintf ("%s/state.yaml", dir);
  if (mc_read_file_at (AT_FDCWD, path, 1 << 16, &buf, &len, &read_err) < 0)
    {
      if (read_err->status == ENOENT)
        {
          mc_error_release (&read_err);
          return 0;
        }
      return mc_error_propagate (err, &read_err);
    }
  *doc = mc_yaml_load (buf, len, path, err);
  return *doc == NULL ? -1 : 1;
}

static void
parse_state (json_t *doc, struct mc_run_state *st)
{
  st->pid = (pid_t) get_int (doc, "pid");
  st->pid_start = (uint64_t) get_int (doc, "pid_start");
  st->monitor = (pid_t) get_int (doc, "monitor");
  st->monitor_start = (uint64_t) get_int (doc, "monitor_start");
  st->started_at = get_int (doc, "started_at");
}

int
mc_state_read (const char *name, struct mc_run_state *st, mc_error_t *err)
{
  json_t *doc = NULL;
  int r;

  memset (st, 0, sizeof (*st));
  if ((r = load_state (name, &doc, err)) <= 0)
    return r;
  parse_state (doc, st);
  json_decref (doc);
  return 1;
}

int
mc_state_remove (const char *name, mc_error_t *err)
{
  const char *run = mc_run_dir (err);
  cleanup_close int fd = -1;

  if (run == NULL)
    return -1;
  fd = open (run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : mc_make_error (err, errno, "open `%s`", run);
  if (mc_rm_rf_at (fd, name, err) < 0)
    return -1;
  /* The run dir itself goes with its last container (ENOTEMPTY: others
   * are running).  */
  (void) rmdir (run);
  return 0;
}

/* The recorded placement's lines joined again, NULL when none.  */
static char *
placement_of (json_t *cgroup)
{
  json_t *lines = json_object_get (cgroup, "placement"), *l;
  size_t i, len = 0;
  char *out;

  if (!json_is_array (lines) || json_array_size (lines) == 0)
    return NULL;
  json_array_foreach (lines, i, l)
    len += strlen (json_string_value (l) ?: "") + 1;
  out = xmalloc0 (len + 1);
  json_array_foreach (lines, i, l)
    {
      strcat (out, json_string_value (l) ?: "");
      strcat (out, "\n");
    }
  return out;
}

/* The cgroup of NAME where run state DOC (NULL: none) says it is.  */
static int
cgroup_open_from (const char *name, json_t *doc, struct mc_cgroup **cg, mc_error_t *err)
{
  cleanup_free char *placement = placement_of (json_object_get (doc, "cgroup"));
  const char *parent = json_string_value (json_object_get (json_object_get (doc, "cgroup"), "parent"));

  if (placement && parent)
    return mc_cgroup_open_placed (placement, parent, name, cg, err);
  return (parent = mc_cgroup_parent (err)) == NULL ? -1 : mc_cgroup_open (parent, name, cg, err);
}

int
mc_container_cgroup_open (const char *name, struct mc_cgroup **cg, mc_error_t *err)
{
  json_t *doc = NULL;
  int r;

  if ((r = load_state (name, &doc, err)) < 0)
    return -1;
  r = cgroup_open_from (name, doc, cg, err);
  json_decref (doc);
  return r;
}

int
mc_container_status_cgroup (const char *name, struct mc_run_state *st, enum mc_status *status,
                            struct mc_cgroup **cgp, mc_error_t *err)
{
  struct mc_cgroup *cg = NULL;
  mc_error_t e = NULL;
  bool frozen = false;
  json_t *doc = NULL;
  int r;

  memset (st, 0, sizeof (*st));
  if (cgp)
    *cgp = NULL;
  if ((r = load_state (name, &doc, err)) < 0)
    return -1;
  if (r > 0)
    parse_state (doc, st);
  if (r == 0 || !mc_proc_alive (st->pid, st->pid_start))
    {
      *status = MC_STATUS_STOPPED;
      json_decref (doc);
      return 0;
    }
  /* A freezer state that cannot be read is not frozen.  */
  if (cgroup_open_from (name, doc, &cg, &e) == 0 && mc_cgroup_frozen (cg, &frozen, &e) < 0)
    frozen = false;
  mc_error_release (&e);
  json_decref (doc);
  *status = frozen ? MC_STATUS_FROZEN : MC_STATUS_RUNNING;
  if (cgp)
    *cgp = cg;
  else
    mc_cgroup_free (cg);
  return 0;
}

int
mc_container_status (const char *name, struct mc_run_state *st, enum mc_status *status,
                     mc_error_t *err)
{
  return mc_container_status_cgroup (name, st, status, NULL, err);
}

/* A privileged container shares our user namespace: setns must not be
 * asked to join it.  */
bool
mc_proc_own_userns (pid_t pid)
{
  char a[64], b[64], path[64];
  ssize_t n, m;

  snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) pid);
  n = readlink (path, a, sizeof (a) - 1);
  m = readlink ("/proc/self/ns/user", b, sizeof (b) - 1);
  /* Fail closed: joining as if it had one fails (setns), where joining
   * without would leave host root in the container.  */
  if (n <= 0 || m <= 0)
    return true;
  return n != m || memcmp (a, b, (size_t) n) != 0;
}
