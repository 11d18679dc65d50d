#include "runtime/lifecycle.h"
#include "images/manage.h"
#include "runtime/monitor.h"
#include "runtime/history/snapshot.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/net/nic.h"
#include "lib/paths.h"
#include "lib/testhook.h"
#include "runtime/config/stacking.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MONITOR_WAIT_MS 10000
#define SCOPE_TRIM_WAIT_MS 5000

static int
open_cgroup (const char *name, struct mc_cgroup **cg, mc_error_t *err)
{
  return mc_container_cgroup_open (name, cg, err);
}

/* A pidfd for PID, only if it is still the process started at START.  */
static int
pidfd_for (pid_t pid, uint64_t start)
{
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);

  if (fd >= 0 && !mc_proc_alive (pid, start))
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* true when FD (a pidfd) became readable: its process ended.  */
static bool
wait_pidfd (int fd, int timeout_ms)
{
  struct pollfd p = { fd, POLLIN, 0 };
  int r;

  if (fd < 0)
    return true;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

/* Whether the container (expanded CFG) runs an OCI image's own process.  */
static bool
oci_app (struct mc_store *s, json_t *cfg)
{
  const char *fp = mc_config_get (cfg, "volatile.base_image", NULL);

  return fp && mc_image_is_oci (s, fp) && !mc_config_oci_system (cfg);
}

/* systemd wants SIGRTMIN+3; sysvinit and busybox init halt on SIGPWR
 * (LXC's and LXD's defaults).  */
static int
stop_signal (struct mc_store *s, const char *name, pid_t pid, int *sig, mc_error_t *err)
{
  json_t *cfg = mc_container_config_expanded (s, name, err);
  const char *key;
  char path[64], exe[4096];
  ssize_t n;
  int ret = 0;

  if (cfg == NULL)
    return -1;
  key = mc_config_get (cfg, "boot.stop.signal", NULL);
  snprintf (path, sizeof (path), "/proc/%d/exe", (int) pid);
  n = readlink (path, exe, sizeof (exe) - 1);
  exe[n > 0 ? n : 0] = '\0';
  if (key)
    ret = mc_parse_signal (key, sig, err);
  else if (oci_app (s, cfg))
    {
      /* An OCI image's process: its StopSignal, else SIGTERM (docker's).  */
      const char *fp = mc_config_get (cfg, "volatile.base_image", "");
      cleanup_json json_t *oci = mc_image_oci_config (s, fp, err);
      const char *want = json_string_value (json_object_get (oci, "StopSignal"));

      if (oci == NULL)
        ret = -1;
      else if (want && *want)
        ret = mc_parse_signal (want, sig, err);
      else
        *sig = SIGTERM;
    }
  else
    *sig = strstr (exe, "systemd") ? SIGRTMIN + 3 : SIGPWR;
  json_decref (cfg);
  return ret;
}

/* The monitor may remove the cgroup while we kill what is in it: a
 * cgroup that is gone is a cgroup that is empty.  */
static int
kill_all (const char *name, mc_error_t *err)
{
  struct mc_cgroup *cg = NULL;
  int ret;

  if (open_cgroup (name, &cg, err) < 0)
    return ((*err)->status == ENOENT) ? (mc_error_release (err), 0) : -1;
  ret = mc_cgroup_kill (cg, err);
  mc_cgroup_free (cg);
  if (ret < 0 && (*err)->status == ENOENT)
    {
      mc_error_release (err);
      ret = 0;
    }
  return ret;
}

static int
thaw_if_frozen (const char *name, mc_error_t *err)
{
  struct mc_cgroup *cg = NULL;
  bool frozen = false;
  int ret = 0;

  /* Gone (the init ended and its monitor cleaned up meanwhile): nothing
   * is frozen.  */
  if (open_cgroup (name, &cg, err) < 0)
    return ((*err)->status == ENOENT) ? (mc_error_release (err), 0) : -1;
  if (mc_cgroup_frozen (cg, &frozen, err) < 0 || (frozen && mc_cgroup_freeze (cg, false, err) < 0))
    ret = -1;
  mc_cgroup_free (cg);
  return ret;
}

static int force_stop (const char *name, enum mc_status status, int init_fd,
                       mc_error_t *err);

static int
graceful_stop (struct mc_store *s, const char *name, const struct mc_run_state *st,
               int init_fd, int timeout, mc_error_t *err)
{
  int sig;

  if (thaw_if_frozen (name, err) < 0 || stop_signal (s, name, st->pid, &sig, err) < 0)
    return -1;
  if (syscall (SYS_pidfd_send_signal, init_fd, sig, NULL, 0) < 0 && errno != ESRCH)
    return mc_make_error (err, errno, "signal the init of `%s`", name);
  if (wait_pidfd (init_fd, timeout * 1000))
    return 0;
  return force_stop (name, MC_STATUS_RUNNING, init_fd, err);
}

/* SIGKILL to the init of a PID namespace takes every process of the
 * namespace with it (zap_pid_ns_processes): one signal, no cgroup walk.
 * A v1-frozen task cannot die until thawed, so thaw first; the cgroup
 * kill remains for the case the init is gone already.  */
static int
force_stop (const char *name, enum mc_status status, int init_fd, mc_error_t *err)
{
  if (status == MC_STATUS_FROZEN && thaw_if_frozen (name, err) < 0)
    return -1;
  if (init_fd >= 0 && syscall (SYS_pidfd_send_signal, init_fd, SIGKILL, NULL, 0) == 0)
    return 0;
  return kill_all (name, err);
}

static int cleanup_after_monitor (struct mc_store *s, const char *name, mc_error_t *err);

/* Wait for the monitor (MON_FD, a pidfd, or -1 when it is gone; closed
 * here) to finish, then clean up after it.  */
static int
after_monitor (struct mc_store *s, const char *name, int mon_fd, mc_error_t *err)
{
  bool gone = wait_pidfd (mon_fd, MONITOR_WAIT_MS);

  if (mon_fd >= 0)
    close (mon_fd);
  if (!gone)
    return mc_make_error (err, 0, "the monitor of `%s` did not finish its cleanup", name);
  return cleanup_after_monitor (s, name, err);
}

/* The monitor normally removes the cgroup and state; if it was killed,
 * do it here.  It removes the run state last, after its teardown: with
 * the state gone, the host ends of the nics and the proxies' nftables
 * table are gone too (their cleanup loads libnftables in a child, a
 * good part of a delete's time).  */
static int
cleanup_after_monitor (struct mc_store *s, const char *name, mc_error_t *err)
{
  struct mc_cgroup *cg = NULL;
  struct mc_run_state st;
  mc_error_t e = NULL;
  const char *parent;
  json_t *cfg;
  int recorded = mc_state_read (name, &st, &e);

  mc_error_release (&e);
  if (mc_container_cgroup_open (name, &cg, &e) == 0)
    {
      if (mc_cgroup_kill (cg, err) < 0)
        {
          mc_cgroup_free (cg);
          return -1;
        }
      /* In the monitor's systemd scope, now empty, the tree is systemd's
       * to remove: ours racing with it would leave the scope's cgroup
       * behind.  Ours are for a scope it has not removed.  */
      if (!mc_cgroup_wait_scope_trimmed (cg, SCOPE_TRIM_WAIT_MS))
        {
          if (mc_cgroup_destroy (cg, err) < 0)
            {
              mc_cgroup_free (cg);
              return -1;
            }
          (void) mc_cgroup_remove_parent_of (cg, &e);
        }
      mc_cgroup_free (cg);
    }
  else
    {
      mc_error_release (&e);
      if ((parent = mc_cgroup_parent (&e)) != NULL)
        (void) mc_cgroup_remove_parent (parent, &e);
    }
  mc_error_release (&e);
  if (mc_state_remove (name, err) < 0)
    return -1;
  if (recorded != 0)
    mc_nic_cleanup (s, name);
  cfg = mc_container_config_load (s, name, &e);
  mc_error_release (&e);
  if (cfg && json_is_true (json_object_get (cfg, "ephemeral")))
    {
      json_decref (cfg);
      return mc_container_remove (s, name, err);
    }
  json_decref (cfg);
  return 0;
}

int
mc_container_stop (struct mc_store *s, const char *name, bool force, int timeout,
                   mc_error_t *err)
{
  struct mc_run_state st;
  enum mc_status status;
  int init_fd, mon_fd, ret;

  if (mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status == MC_STATUS_STOPPED)
    return mc_make_error (err, 0, "container `%s` is not running", name);
  init_fd = pidfd_for (st.pid, st.pid_start);
  mon_fd = pidfd_for (st.monitor, st.monitor_start);
  if (force)
    ret = force_stop (name, status, init_fd, err);
  else
    ret = graceful_stop (s, name, &st, init_fd, timeout, err);
  mc_test_point ("stop-signalled");
  if (ret == 0 && !wait_pidfd (init_fd, MONITOR_WAIT_MS))
    ret = mc_make_error (err, 0, "container `%s` did not stop", name);
  if (init_fd >= 0)
    close (init_fd);
  if (ret < 0)
    {
      if (mon_fd >= 0)
        close (mon_fd);
      return -1;
    }
  return after_monitor (s, name, mon_fd, err);
}

static int
set_frozen (const char *name, enum mc_status need, bool freeze, mc_error_t *err)
{
  struct mc_run_state st;
  enum mc_status status;
  struct mc_cgroup *cg = NULL;
  int ret;

  if (mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status != need)
    return mc_make_error (err, 0, "container `%s` is %s", name, status == MC_STATUS_STOPPED ? "not running"
                          : status == MC_STATUS_FROZEN ? "already paused" : "not paused");
  if (open_cgroup (name, &cg, err) < 0)
    return -1;
  ret = mc_cgroup_freeze (cg, freeze, err);
  mc_cgroup_free (cg);
  return ret;
}

int
mc_container_pause (struct mc_store *s, const char *name, mc_error_t *err)
{
  (void) s;
  return set_frozen (name, MC_STATUS_RUNNING, true, err);
}

int
mc_container_resume (struct mc_store *s, const char *name, mc_error_t *err)
{
  (void) s;
  return set_frozen (name, MC_STATUS_FROZEN, false, err);
}

static int
check_deletable (const char *name, json_t *expanded, mc_error_t *err)
{
  if (mc_config_get_bool (expanded, "security.protection.delete", false))
    return mc_make_error (err, 0, "container `%s` is protected from deletion (security.protection.delete=true): "
                          "unset it first", name);
  return 0;
}

int
mc_container_delete (struct mc_store *s, const char *name, bool force, mc_error_t *err)
{
  struct mc_run_state st;
  enum mc_status status;
  int dfd = mc_container_open_dir (s, name, err);
  cleanup_json json_t *cfg = NULL;

  if (dfd < 0)
    return -1;
  close (dfd);
  if ((cfg = mc_container_config_expanded (s, name, err)) == NULL)
    return -1;
  if (check_deletable (name, cfg, err) < 0 || mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status != MC_STATUS_STOPPED && !force)
    return mc_make_error (err, 0, "container `%s` is running: stop it first, or use --force", name);
  if (status != MC_STATUS_STOPPED && mc_container_stop (s, name, true, 0, err) < 0)
    {
      /* Its init may have ended since it was looked at (its SIGKILL came
       * from `kill_first`): then it is a stopped one, as below.  */
      mc_error_t e = NULL;

      if (mc_container_status (name, &st, &status, &e) < 0 || status != MC_STATUS_STOPPED)
        {
          mc_error_release (&e);
          return -1;
        }
      mc_error_release (err);
    }
  /* Its init is gone but its run state is still there: its monitor may
   * be tearing down still (its SIGKILL came from `kill_first`), or was
   * killed.  Wait for it, then clean up after it, as a stop does.  */
  if (status == MC_STATUS_STOPPED && st.pid > 0
      && after_monitor (s, name, pidfd_for (st.monitor, st.monitor_start), err) < 0)
    return -1;
  /* Stopping an ephemeral container has removed it already.  */
  if ((status != MC_STATUS_STOPPED || st.pid > 0) && !mc_container_exists (s, name))
    return 0;
  /* What its run dir may still hold without a run (templates a failed
   * start left due) goes with it.  */
  if (status == MC_STATUS_STOPPED && st.pid <= 0 && mc_state_remove (name, err) < 0)
    return -1;
  return mc_container_remove (s, name, err);
}

int
mc_container_kill_for_delete (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int lock = mc_container_lock_bare (s, name, err);
  cleanup_json json_t *cfg = NULL;
  struct mc_run_state st;
  enum mc_status status;
  int init_fd, ret;

  if (lock < 0 || (cfg = mc_container_config_expanded (s, name, err)) == NULL
      || check_deletable (name, cfg, err) < 0 || mc_container_status (name, &st, &status, err) < 0)
    return -1;
  /* An ephemeral one goes with its stop: left to the delete itself.  */
  if (status == MC_STATUS_STOPPED || json_is_true (json_object_get (cfg, "ephemeral")))
    return 0;
  init_fd = pidfd_for (st.pid, st.pid_start);
  ret = force_stop (name, status, init_fd, err);
  if (init_fd >= 0)
    close (init_fd);
  return ret;
}

size_t
mc_containers_stop_all (struct mc_store *s, const struct mc_stop_item *items, size_t n)
{
  pid_t *pids = xmalloc0 (sizeof (pid_t) * (n + 1));
  size_t i, failed = 0;
  int status;

  for (i = 0; i < n; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          mc_error_t e = NULL;
          cleanup_close int lock = mc_container_lock (s, items[i].name, &e);

          if (lock < 0 || mc_container_stop (s, items[i].name, false, items[i].timeout, &e) < 0)
            {
              mc_error_prefix (&e, "stop `%s`", items[i].name);
              (void) mc_error_report (&e);
              _exit (1);
            }
          _exit (0);
        }
      if (pids[i] < 0)
        {
          fprintf (stderr, "minictr: stop `%s`: fork: %s\n", items[i].name, strerror (errno));
          failed++;
        }
    }
  for (i = 0; i < n; i++)
    {
      if (pids[i] <= 0)
        continue;
      while (waitpid (pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        failed++;
    }
  free (pids);
  return failed;
}

int
mc_state_action_parse (const char *name, enum mc_state_action *action)
{
  static const char *const names[] = { "start", "stop", "restart", "freeze", "unfreeze" };
  size_t i;

  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (strcmp (name, names[i]) == 0)
      {
        *action = (enum mc_state_action) i;
        return 0;
      }
  return -1;
}

int
mc_container_change_state (struct mc_store *s, const char *name, enum mc_state_action action, bool force,
                           int timeout, mc_error_t *err)
{
  struct mc_run_state st;
  enum mc_status status;

  if (timeout < 0)
    timeout = MC_STOP_TIMEOUT_DEFAULT;
  switch (action)
    {
    case MC_STATE_START:
      if (mc_container_status (name, &st, &status, err) < 0)
        return -1;
      if (status == MC_STATUS_FROZEN)
        return mc_container_resume (s, name, err);
      if (status == MC_STATUS_RUNNING)
        return mc_make_error (err, 0, "container `%s` is already running", name);
      return mc_container_start (s, name, err);
    case MC_STATE_STOP:
      return mc_container_stop (s, name, force, timeout, err);
    case MC_STATE_RESTART:
      if (mc_container_stop (s, name, force, timeout, err) < 0)
        return -1;
      return mc_container_start (s, name, err);
    case MC_STATE_FREEZE:
      return mc_container_pause (s, name, err);
    case MC_STATE_UNFREEZE:
      return mc_container_resume (s, name, err);
    }
  return mc_make_error (err, 0, "unknown state change");
}

int
mc_container_restore (struct mc_store *s, const char *name, const char *snap, mc_error_t *err)
{
  enum mc_status status = MC_STATUS_STOPPED;
  struct mc_run_state st;
  bool restart;

  if (mc_container_status (name, &st, &status, err) < 0)
    return -1;
  restart = status != MC_STATUS_STOPPED;
  if (restart && mc_container_stop (s, name, true, 0, err) < 0)
    return -1;
  if (mc_snapshot_restore (s, name, snap, err) < 0)
    return -1;
  return restart ? mc_container_start (s, name, err) : 0;
}
