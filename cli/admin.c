/* minictr admin init --auto: LXD's `lxd init --auto`, idempotent.  */
#include "cli/cli.h"
#include "runtime/config/config.h"
#include "runtime/config/configure.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"
#include "runtime/net/network.h"
#include "lib/paths.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/history/snapshot.h"
#include "runtime/state.h"
#include "lib/utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* As `lxd init --auto`: the default network (a free /24, NAT) and an eth0
 * on it in the default profile, unless the profile has a nic already.  */
static int
default_network (struct mc_store *s, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  const char *key;
  json_t *prof, *dev;
  bool has_nic = false;
  int ret;

  if (!mc_network_exists (s, MC_NETWORK_DEFAULT) && mc_network_create (s, MC_NETWORK_DEFAULT, NULL, NULL, err) < 0)
    return -1;
  if ((prof = mc_profile_load (s, "default", err)) == NULL)
    return -1;
  json_object_foreach (json_object_get (prof, "devices"), key, dev)
    has_nic |= json_is_string (json_object_get (dev, "type"))
               && strcmp (json_string_value (json_object_get (dev, "type")), "nic") == 0;
  json_decref (prof);
  if (has_nic)
    return 0;
  change.device = "eth0";
  change.device_conf = json_pack ("{s:s, s:s, s:s}", "type", "nic", "network", MC_NETWORK_DEFAULT, "name", "eth0");
  ret = mc_profile_configure (s, "default", &change, NULL, err);
  json_decref (change.device_conf);
  return ret;
}

static int
admin_init (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store store;
  int ret = cli_parse (cmd, argc, argv, &a, err);

  if (ret != 0)
    return ret < 0 ? -1 : 0;
  if (mc_store_open (&store, err) < 0)
    return -1;
  /* The run dir is made by the first start and goes with the last stop. */
  ret = mc_profiles_install_defaults (&store, err);
  if (ret == 0)
    ret = default_network (&store, err);
  if (ret == 0)
    printf ("minictr is set up in %s\n", store.root);
  mc_store_close (&store);
  return ret;
}

struct boot_item
{
  char *name;
  long priority, delay;
};

static int
boot_cmp (const void *a, const void *b)
{
  const struct boot_item *x = a, *y = b;

  if (x->priority != y->priority)
    return x->priority > y->priority ? -1 : 1;
  return strcmp (x->name, y->name);
}

static int
boot_one (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_close int lock = mc_container_lock (s, name, err);
  struct mc_run_state st;
  enum mc_status status;

  if (lock < 0 || mc_container_status (name, &st, &status, err) < 0)
    return -1;
  if (status != MC_STATUS_STOPPED)
    return 0;
  printf ("Starting %s\n", name);
  fflush (stdout);
  return mc_container_start (s, name, err);
}

/* `admin boot` and `admin shutdown` take no arguments: -h, then the
 * store and its containers' names.  1: help was printed, 0: *NAMES (and
 * STORE, to close) are set, -1: error.  */
static int
open_all (const struct cli_command *cmd, int argc, char **argv, struct mc_store *store, json_t **names,
          mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int r = cli_parse (cmd, argc, argv, &a, err);

  if (r != 0)
    return r;
  if (mc_store_open (store, err) < 0)
    return -1;
  if ((*names = mc_container_names (store, err)) == NULL)
    {
      mc_store_close (store);
      return -1;
    }
  return 0;
}

/* What LXD does when its daemon starts: start the containers with
 * boot.autostart=true, highest boot.autostart.priority first, waiting
 * boot.autostart.delay seconds after each.  No daemon here, so the host's
 * init system runs this (contrib/systemd/minictr-boot.service).  One
 * container failing does not keep the others down.  */
static int
admin_boot (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct boot_item *items = NULL;
  struct mc_store store;
  size_t n = 0, i, failed = 0;
  json_t *names, *name;
  int r;

  if ((r = open_all (cmd, argc, argv, &store, &names, err)) != 0)
    return r < 0 ? -1 : 0;
  items = xmalloc0 (sizeof (*items) * (json_array_size (names) + 1));
  json_array_foreach (names, i, name)
    {
      mc_error_t e = NULL;
      json_t *cfg = mc_container_config_expanded (&store, json_string_value (name), &e);

      if (cfg == NULL)
        {
          (void) mc_error_report (&e);
          failed++;
          continue;
        }
      if (mc_config_get_bool (cfg, "boot.autostart", false))
        {
          items[n].name = xstrdup (json_string_value (name));
          items[n].priority = strtol (mc_config_get (cfg, "boot.autostart.priority", "0"), NULL, 10);
          items[n++].delay = strtol (mc_config_get (cfg, "boot.autostart.delay", "0"), NULL, 10);
        }
      json_decref (cfg);
    }
  r = cli_seal_if_privileged (names, NULL, err);
  json_decref (names);
  if (r < 0)
    {
      for (i = 0; i < n; i++)
        free (items[i].name);
      free (items);
      mc_store_close (&store);
      return -1;
    }
  qsort (items, n, sizeof (*items), boot_cmp);
  for (i = 0; i < n; i++)
    {
      mc_error_t e = NULL;

      if (boot_one (&store, items[i].name, &e) < 0)
        {
          mc_error_prefix (&e, "start `%s`", items[i].name);
          (void) mc_error_report (&e);
          failed++;
        }
      else if (items[i].delay > 0 && i + 1 < n)
        sleep ((unsigned) items[i].delay);
      free (items[i].name);
    }
  free (items);
  mc_store_close (&store);
  if (failed)
    return mc_make_error (err, 0, "%zu container%s could not be started", failed, failed == 1 ? "" : "s");
  return 0;
}

/* What LXD does when its daemon stops with the host: stop every running
 * container gracefully, each within its boot.host_shutdown_timeout
 * (default 30 s) before it is killed; by boot.stop.priority, highest
 * first, those of one priority all at once.  The
 * boot service runs it as ExecStop.  */
static int
admin_shutdown (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_stop_item *todo;
  struct mc_store store;
  long *prio;
  size_t i, failed = 0, n = 0;
  json_t *names, *name;
  int r;

  if ((r = open_all (cmd, argc, argv, &store, &names, err)) != 0)
    return r < 0 ? -1 : 0;
  todo = xmalloc0 (sizeof (*todo) * (json_array_size (names) + 1));
  prio = xmalloc0 (sizeof (*prio) * (json_array_size (names) + 1));
  json_array_foreach (names, i, name)
    {
      const char *cname = json_string_value (name);
      struct mc_run_state st;
      enum mc_status state = MC_STATUS_STOPPED;
      mc_error_t e = NULL;
      json_t *cfg;

      if (mc_container_status (cname, &st, &state, &e) < 0 || state == MC_STATUS_STOPPED)
        {
          mc_error_release (&e);
          continue;
        }
      if ((cfg = mc_container_config_expanded (&store, cname, &e)) == NULL)
        {
          (void) mc_error_report (&e);
          failed++;
          continue;
        }
      /* Sorted by boot.stop.priority, highest first (insertion).  */
      {
        long p = strtol (mc_config_get (cfg, "boot.stop.priority", "0"), NULL, 10);
        size_t at = n;

        while (at > 0 && prio[at - 1] < p)
          {
            todo[at] = todo[at - 1];
            prio[at] = prio[at - 1];
            at--;
          }
        todo[at].name = cname;
        todo[at].timeout = (int) strtol (mc_config_get (cfg, "boot.host_shutdown_timeout", "30"), NULL, 10);
        prio[at] = p;
        n++;
      }
      json_decref (cfg);
    }
  /* LXD's boot.stop.priority: the highest first; each priority's
     containers all at once, the next ones once they have stopped.  */
  for (i = 0; i < n;)
    {
      size_t j, k;

      for (j = i; j < n && prio[j] == prio[i]; j++)
        ;
      for (k = i; k < j; k++)
        printf ("Stopping %s\n", todo[k].name);
      fflush (stdout);
      failed += mc_containers_stop_all (&store, todo + i, j - i);
      i = j;
    }
  free (todo);
  free (prio);
  json_decref (names);
  mc_store_close (&store);
  if (failed)
    return mc_make_error (err, 0, "%zu container%s could not be stopped", failed, failed == 1 ? "" : "s");
  return 0;
}

static const struct cli_flag init_flags[] = { { "auto", 0, false }, { NULL, 0, false } };

/* LXD's daemon takes scheduled snapshots and deletes expired ones every
 * minute; with no daemon, the host's timer runs this as often
 * (contrib/systemd/minictr-snapshots.timer, or a cron line).  One
 * container failing does not stop the others.  */
static int
admin_snapshots (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store store;
  size_t i, j, failed = 0;
  json_t *names, *name, *d;
  time_t now = time (NULL);
  int r;

  if ((r = open_all (cmd, argc, argv, &store, &names, err)) != 0)
    return r < 0 ? -1 : 0;
  json_array_foreach (names, i, name)
    {
      const char *cname = json_string_value (name);
      cleanup_json json_t *done = json_array ();
      mc_error_t e = NULL;
      cleanup_close int lock = mc_container_lock (&store, cname, &e);

      if (lock < 0 || mc_snapshots_tick (&store, cname, now, done, &e) < 0)
        {
          mc_error_prefix (&e, "container `%s`", cname);
          (void) mc_error_report (&e);
          failed++;
        }
      json_array_foreach (done, j, d)
        printf (strcmp (json_string_value (json_object_get (d, "action")), "created") == 0
                    ? "Snapshot %s/%s created (snapshots.schedule)\n"
                    : "Snapshot %s/%s expired and deleted\n",
                cname, json_string_value (json_object_get (d, "snapshot")));
    }
  json_decref (names);
  mc_store_close (&store);
  if (failed)
    return mc_make_error (err, 0, "%zu container%s failed", failed, failed == 1 ? "" : "s");
  return 0;
}

static const struct cli_command admin_commands[] = {
  { "boot", "admin boot", NULL, "admin boot",
    "Start the containers with boot.autostart=true (run at host boot)\n\n"
    "Highest boot.autostart.priority first, boot.autostart.delay seconds apart;\n"
    "contrib/systemd/minictr-boot.service runs it at boot.", NULL, admin_boot, NULL, 0, 0, false, 0, NULL },
  { "init", "admin init", NULL, "admin init [--auto]",
    "Set up the host: state directory, default profile, default network (idempotent)\n\n"
    "The network minictrbr0 (a free /24 of the private ranges, NAT) is created and\n"
    "the default profile gets an eth0 nic on it, unless it has a nic already.\n"
    "Every other command sets up the state directory and profiles on first use;\n"
    "networks come only from here or `minictr network create`.",
    "Flags:\n      --auto   Accept the defaults (the only mode)\n", admin_init, init_flags, 0, 0, false, 0, NULL },
  { "shutdown", "admin shutdown", NULL, "admin shutdown",
    "Stop every running container, as at host shutdown\n\n"
    "By boot.stop.priority, highest first, those of one priority all at once,\n"
    "each gracefully (its stop signal) within its boot.host_shutdown_timeout\n"
    "seconds (default 30), then killed;\n"
    "contrib/systemd/minictr-boot.service runs it when the host stops.", NULL, admin_shutdown, NULL, 0, 0, false, 0, NULL },
  { "snapshots", "admin snapshots", NULL, "admin snapshots",
    "Take the scheduled snapshots and delete the expired ones (run every minute)\n\n"
    "snapshots.schedule (cron syntax or @daily, ...) and snapshots.expiry, as LXD's\n"
    "daemon applies them; contrib/systemd/minictr-snapshots.timer runs it every\n"
    "minute (or cron: `* * * * * root minictr admin snapshots`).", NULL, admin_snapshots, NULL, 0, 0,
    false, 0, NULL },
};

int
cli_admin (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("admin", "Manage the host's minictr setup.", admin_commands,
                       sizeof (admin_commands) / sizeof (admin_commands[0]), argc, argv, err);
}
