/* minictr snapshot | restore | copy | move: LXD's verbs for snapshots and
 * for copying and renaming containers.  Each takes the container's lock
 * (both containers' for a copy's source).  */
#include "cli/cli.h"
#include "cli/output.h"
#include "runtime/backup.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/publish.h"
#include "runtime/snapshot.h"
#include "runtime/start.h"
#include "runtime/state.h"
#include "runtime/utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
help_only (const struct cli_command *cmd, int argc, char **argv, int min, int max, mc_error_t *err)
{
  static const struct option longopts[] = { CLI_HELP_OPTION, { NULL, 0, NULL, 0 } };
  int c;

  while ((c = cli_getopt (cmd, argc, argv, "h", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      return cli_print_help (cmd), 1;
    }
  return cli_want_args (cmd, argc - optind, min, max, err);
}

/* "NAME/SNAP" -> NAME, SNAP (in place).  */
static int
split_snap (const struct cli_command *cmd, char *arg, char **snap, mc_error_t *err)
{
  char *slash = strchr (arg, '/');

  if (slash == NULL || slash[1] == '\0' || slash == arg)
    return mc_make_usage_error (err, "%s: expected NAME/SNAPSHOT, got `%s`", cmd->path, arg);
  *slash = '\0';
  *snap = slash + 1;
  return 0;
}

static int
locked (struct mc_store *s, const char *name, mc_error_t *err)
{
  return mc_container_lock (s, name, err);
}

static int
snap_create (const struct cli_command *cmd, struct mc_store *s, const char *name, const char *snap,
             mc_error_t *err)
{
  cleanup_close int lock = locked (s, name, err);
  cleanup_free char *made = NULL;

  (void) cmd;
  if (lock < 0 || mc_snapshot_create (s, name, snap, &made, err) < 0)
    return -1;
  printf ("Snapshot %s/%s created\n", name, made);
  return 0;
}

static int
snap_list (struct mc_store *s, const char *name, mc_error_t *err)
{
  static const char *const headers[] = { "NAME", "TAKEN AT" };
  json_t *list = mc_snapshot_list (s, name, err), *v;
  struct cli_table t;
  size_t i;
  int r;

  if (list == NULL)
    return -1;
  cli_table_init (&t, headers, 2);
  json_array_foreach (list, i, v)
    {
      const char *row[2] = { json_string_value (json_object_get (v, "name")),
                             json_string_value (json_object_get (v, "created_at")) };
      cli_table_add (&t, row);
    }
  r = cli_print (CLI_FORMAT_TABLE, &t, list, err);
  cli_table_release (&t);
  json_decref (list);
  return r;
}

int
cli_cmd_snapshot (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store s;
  const char *sub;
  char *snap = NULL;
  int r = help_only (cmd, argc, argv, 1, 3, err), ret = -1;

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (mc_store_open (&s, err) < 0)
    return -1;
  sub = argv[optind];
  if (strcmp (sub, "list") == 0 && argc - optind == 2)
    ret = snap_list (&s, argv[optind + 1], err);
  else if (strcmp (sub, "create") == 0 && argc - optind >= 2)
    ret = snap_create (cmd, &s, argv[optind + 1], argc - optind == 3 ? argv[optind + 2] : NULL, err);
  else if ((strcmp (sub, "show") == 0 || strcmp (sub, "delete") == 0) && argc - optind == 2)
    {
      if (split_snap (cmd, argv[optind + 1], &snap, err) == 0)
        {
          const char *name = argv[optind + 1];
          cleanup_close int lock = locked (&s, name, err);

          if (lock >= 0 && sub[0] == 's')
            {
              json_t *doc = mc_snapshot_get (&s, name, snap, err);

              ret = doc ? cli_print_yaml (doc, err) : -1;
              json_decref (doc);
            }
          else if (lock >= 0 && (ret = mc_snapshot_delete (&s, name, snap, err)) == 0)
            printf ("Snapshot %s/%s deleted\n", name, snap);
        }
    }
  else if (strcmp (sub, "rename") == 0 && argc - optind == 3)
    {
      if (split_snap (cmd, argv[optind + 1], &snap, err) == 0)
        {
          cleanup_close int lock = locked (&s, argv[optind + 1], err);
          char *to = argv[optind + 2], *slash = strchr (to, '/');

          /* LXD accepts NAME/NEW as well as NEW.  */
          if (slash && strncmp (to, argv[optind + 1], (size_t) (slash - to)) == 0)
            to = slash + 1;
          if (lock >= 0)
            ret = mc_snapshot_rename (&s, argv[optind + 1], snap, to, err);
        }
    }
  else if (argc - optind <= 2)
    ret = snap_create (cmd, &s, sub, argc - optind == 2 ? argv[optind + 1] : NULL, err);
  else
    ret = mc_make_usage_error (err, "snapshot: wrong arguments (usage: minictr %s)", cmd->usage);
  mc_store_close (&s);
  return ret;
}

int
cli_cmd_restore (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' }, CLI_HELP_OPTION, { NULL, 0, NULL, 0 }
  };
  struct mc_run_state st;
  enum mc_status status = MC_STATUS_STOPPED;
  bool force = false;
  struct mc_store s;
  int c, ret;

  while ((c = cli_getopt (cmd, argc, argv, "fh", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      if (c == 'h')
        return cli_print_help (cmd), 0;
      force = true;
    }
  if (cli_want_args (cmd, argc - optind, 2, 2, err) < 0 || mc_store_open (&s, err) < 0)
    return -1;
  {
    const char *name = argv[optind];
    cleanup_close int lock = locked (&s, name, err);

    ret = lock < 0 ? -1 : mc_container_status (name, &st, &status, err);
    /* --force: LXD's way for a running container, stop, restore, start. */
    if (ret == 0 && status != MC_STATUS_STOPPED && force)
      ret = mc_container_stop (&s, name, true, 0, err);
    if (ret == 0)
      ret = mc_snapshot_restore (&s, name, argv[optind + 1], err);
    if (ret == 0 && status != MC_STATUS_STOPPED && force)
      ret = mc_container_start (&s, name, err);
  }
  mc_store_close (&s);
  return ret;
}

int
cli_cmd_copy (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const struct option longopts[] = {
    { "ephemeral", no_argument, NULL, 'e' }, { "profile", required_argument, NULL, 'p' },
    { "instance-only", no_argument, NULL, 'i' }, CLI_HELP_OPTION, { NULL, 0, NULL, 0 }
  };
  cleanup_free const char **profiles = xmalloc0 (sizeof (char *) * (size_t) argc);
  struct mc_copy_request req = { 0 };
  struct mc_store s;
  char *snap = NULL;
  int c, ret;

  while ((c = cli_getopt (cmd, argc, argv, "ep:h", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      if (c == 'h')
        return cli_print_help (cmd), 0;
      if (c == 'e')
        req.ephemeral = true;
      else if (c == 'i')
        req.instance_only = true;
      else if (c == 'p')
        profiles[req.n_profiles++] = optarg;
    }
  if (cli_want_args (cmd, argc - optind, 2, 2, err) < 0)
    return -1;
  if (strchr (argv[optind], '/') && split_snap (cmd, argv[optind], &snap, err) < 0)
    return -1;
  req.src = argv[optind];
  req.snap = snap;
  req.dst = argv[optind + 1];
  req.profiles = req.n_profiles ? profiles : NULL;
  if (mc_store_open (&s, err) < 0)
    return -1;
  {
    cleanup_close int lock = locked (&s, req.src, err);

    ret = lock < 0 ? -1 : mc_container_copy (&s, &req, err);
  }
  mc_store_close (&s);
  return ret;
}

int
cli_cmd_move (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store s;
  int r = help_only (cmd, argc, argv, 2, 2, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (mc_store_open (&s, err) < 0)
    return -1;
  {
    cleanup_close int lock = locked (&s, argv[optind], err);

    r = lock < 0 ? -1 : mc_container_rename (&s, argv[optind], argv[optind + 1], err);
  }
  mc_store_close (&s);
  return r;
}

int
cli_cmd_export (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const struct option longopts[] = {
    { "instance-only", no_argument, NULL, 'i' }, CLI_HELP_OPTION, { NULL, 0, NULL, 0 }
  };
  cleanup_free char *path = NULL;
  bool instance_only = false;
  struct mc_store s;
  int c, ret;

  while ((c = cli_getopt (cmd, argc, argv, "h", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      if (c == 'h')
        return cli_print_help (cmd), 0;
      instance_only = true;
    }
  if (cli_want_args (cmd, argc - optind, 1, 2, err) < 0)
    return -1;
  path = argc - optind == 2 ? xstrdup (argv[optind + 1]) : xasprintf ("%s.tar.gz", argv[optind]);
  if (mc_store_open (&s, err) < 0)
    return -1;
  {
    cleanup_close int lock = locked (&s, argv[optind], err);

    ret = lock < 0 ? -1 : mc_backup_export (&s, argv[optind], path, instance_only, err);
  }
  mc_store_close (&s);
  if (ret == 0)
    printf ("Backup exported successfully to %s\n", path);
  return ret;
}

int
cli_cmd_import (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_free char *made = NULL;
  struct mc_store s;
  int r = help_only (cmd, argc, argv, 1, 2, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (mc_store_open (&s, err) < 0)
    return -1;
  r = mc_backup_import (&s, argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL, &made, err);
  mc_store_close (&s);
  if (r == 0)
    printf ("Container %s imported\n", made);
  return r;
}

int
cli_cmd_publish (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const struct option longopts[] = {
    { "alias", required_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
    CLI_HELP_OPTION, { NULL, 0, NULL, 0 }
  };
  cleanup_free const char **aliases = xmalloc0 (sizeof (char *) * (size_t) argc);
  struct mc_publish_request req = { .aliases = aliases };
  struct mc_store s;
  char fp[65], *snap = NULL;
  int c, ret;

  while ((c = cli_getopt (cmd, argc, argv, "fh", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      if (c == 'h')
        return cli_print_help (cmd), 0;
      if (c == 'a')
        aliases[req.n_aliases++] = optarg;
      else
        req.force = true;
    }
  if (cli_want_args (cmd, argc - optind, 1, -1, err) < 0)
    return -1;
  if (strchr (argv[optind], '/') && split_snap (cmd, argv[optind], &snap, err) < 0)
    return -1;
  req.name = argv[optind];
  req.snap = snap;
  req.properties = (const char *const *) argv + optind + 1;
  req.n_properties = (size_t) (argc - optind - 1);
  if (mc_store_open (&s, err) < 0)
    return -1;
  {
    cleanup_close int lock = locked (&s, req.name, err);

    ret = lock < 0 ? -1 : mc_container_publish (&s, &req, fp, err);
  }
  mc_store_close (&s);
  if (ret == 0)
    printf ("Instance published with fingerprint: %s\n", fp);
  return ret;
}
