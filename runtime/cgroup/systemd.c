#include "runtime/cgroup/systemd.h"
#include "lib/dl.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SCOPE_TIMEOUT_USEC (30ULL * 1000 * 1000)

bool
mc_systemd_wanted (void)
{
  const char *parent = getenv ("MINICTR_CGROUP_PARENT");
  const char *opt = getenv ("MINICTR_SYSTEMD");

  if ((parent && *parent) || (opt && strcmp (opt, "0") == 0))
    return false;
  return mc_systemd_cgroup2_host ();
}

struct job_wait
{
  const char *path; /* the job to wait for */
  char result[32];  /* its result, once removed */
  bool done;
};

static int
on_job_removed (sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  const char *path = NULL, *unit = NULL, *result = NULL;
  uint32_t id;

  (void) ret_error;
  if (sym_sd_bus_message_read (msg, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && path && strcmp (path, w->path) == 0)
    {
      snprintf (w->result, sizeof (w->result), "%s", result ? result : "?");
      w->done = true;
    }
  return 0;
}

static int
bus_error (mc_error_t *err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
  if (e && e->message)
    return mc_make_error (err, 0, "systemd: %s %s: %s", what, unit, e->message);
  return mc_make_error (err, -r, "systemd: %s %s", what, unit);
}

/* As root, systemctl talks to systemd on its private socket rather than
 * through dbus-daemon: one hop instead of two per message, no Hello, and
 * systemd sends every signal to such direct connections.  The system
 * bus is the fallback.  */
static int
connect_systemd (sd_bus **out)
{
  sd_bus *bus = NULL;
  int r;

  r = sym_sd_bus_new (&bus);
  if (r >= 0)
    r = sym_sd_bus_set_address (bus, "unix:path=/run/systemd/private");
  if (r >= 0)
    r = sym_sd_bus_start (bus);
  if (r >= 0)
    {
      *out = bus;
      return 0;
    }
  sym_sd_bus_flush_close_unref (bus);
  return sym_sd_bus_open_system (out);
}

/* StartTransientUnit(UNIT, "fail", properties, no aux units).  */
static int
build_request (sd_bus *bus, sd_bus_message **req, const char *unit, const char *slice, const char *description,
               pid_t pid)
{
  bool ours = strcmp (slice, "minictr.slice") == 0;
  int r;

  r = sym_sd_bus_message_new_method_call (bus, req, SD_DEST, SD_PATH, SD_MANAGER,
                                          "StartTransientUnit");
  if (r >= 0)
    r = sym_sd_bus_message_append (*req, "ss", unit, "fail");
  if (r >= 0)
    r = sym_sd_bus_message_open_container (*req, 'a', "(sv)");
  if (r >= 0)
    r = sym_sd_bus_message_append (*req, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", description, "Slice", "s",
                                   slice, "Delegate", "b", 1, "PIDs", "au", 1, (uint32_t) pid, "CollectMode",
                                   "s", "inactive-or-failed");
  /* (at host shutdown, minictr-boot.service's graceful stop first)  */
  if (r >= 0 && ours)
    r = sym_sd_bus_message_append (*req, "(sv)", "Before", "as", 1, "minictr-boot.service");
  if (r >= 0)
    r = sym_sd_bus_message_close_container (*req);
  if (r >= 0)
    r = sym_sd_bus_message_append (*req, "a(sa(sv))", 0);
  return r;
}

/* Start the scope, then wait for its job's JobRemoved signal (which
 * systemd sends to the client that queued the job).  */
static int
start_scope (const char *unit, const char *slice, const char *description, pid_t pid, mc_error_t *err)
{
  sd_bus *bus = NULL;
  sd_bus_message *req = NULL, *reply = NULL;
  sd_bus_slot *slot = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  uint64_t waited = 0;
  int r, ret = -1, tries;

  if (mc_dl_systemd (err) < 0)
    return -1;
  if ((r = connect_systemd (&bus)) < 0)
    return mc_make_error (err, -r, "systemd: connect to the system bus");
  r = sym_sd_bus_match_signal (bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                               on_job_removed, &w);
  if (r < 0)
    {
      bus_error (err, r, NULL, "subscribe to the jobs of", unit);
      goto out;
    }
  /* A scope of that name that is still there has just been left empty
   * (a container stopped by `stop --force` after its monitor died):
   * systemd collects it within moments.  */
  for (tries = 0;; tries++)
    {
      req = sym_sd_bus_message_unref (req);
      if ((r = build_request (bus, &req, unit, slice, description, pid)) < 0)
        {
          bus_error (err, r, NULL, "build the request for", unit);
          goto out;
        }
      if ((r = sym_sd_bus_call (bus, req, SCOPE_TIMEOUT_USEC, &e, &reply)) >= 0
          || !sym_sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists") || tries >= 30)
        break;
      sym_sd_bus_error_free (&e);
      (void) usleep (100 * 1000);
    }
  if (r < 0)
    {
      bus_error (err, r, &e, "cannot start", unit);
      goto out;
    }
  if ((r = sym_sd_bus_message_read (reply, "o", &w.path)) < 0)
    {
      bus_error (err, r, NULL, "no job for", unit);
      goto out;
    }
  while (!w.done)
    {
      if ((r = sym_sd_bus_process (bus, NULL)) < 0)
        {
          bus_error (err, r, NULL, "waiting for", unit);
          goto out;
        }
      if (r > 0)
        continue;
      if (waited >= SCOPE_TIMEOUT_USEC)
        {
          mc_make_error (err, ETIMEDOUT, "systemd: waiting for %s", unit);
          goto out;
        }
      if ((r = sym_sd_bus_wait (bus, 100 * 1000)) < 0)
        {
          bus_error (err, r, NULL, "waiting for", unit);
          goto out;
        }
      if (r == 0)
        waited += 100 * 1000;
    }
  if (strcmp (w.result, "done") != 0)
    {
      mc_make_error (err, 0, "systemd: starting %s: job %s", unit, w.result);
      goto out;
    }
  ret = 0;
out:
  sym_sd_bus_error_free (&e);
  sym_sd_bus_message_unref (reply);
  sym_sd_bus_message_unref (req);
  sym_sd_bus_slot_unref (slot);
  sym_sd_bus_flush_close_unref (bus);
  return ret;
}

struct scope_req
{
  const char *unit, *slice, *description;
  pid_t pid;
};

static int
scope_in_child (void *arg, mc_error_t *err)
{
  struct scope_req *r = arg;

  return start_scope (r->unit, r->slice, r->description, r->pid, err);
}

int
mc_systemd_scope_enter (const char *unit, const char *description, mc_error_t *err)
{
  return mc_systemd_scope_start (unit, "minictr.slice", description, getpid (), err);
}

int
mc_systemd_scope_start (const char *unit, const char *slice, const char *description, pid_t pid, mc_error_t *err)
{
  struct scope_req r = { unit, slice, description, pid };

  return mc_run_in_child (scope_in_child, &r, err);
}

bool
mc_systemd_cgroup2_host (void)
{
  struct statfs sfs;

  return access ("/run/systemd/system", F_OK) == 0 && statfs ("/sys/fs/cgroup", &sfs) == 0
         && sfs.f_type == CGROUP2_SUPER_MAGIC;
}
