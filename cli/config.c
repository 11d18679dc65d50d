/* minictr config ... and minictr profile ...: LXD's `lxc config` and
 * `lxc profile` verbs.  Both edit the same shape of document (config keys
 * and devices), so one set of handlers serves both, told apart by the
 * command table they are reached from.  */
#include "cli/cli.h"
#include "runtime/config/config.h"
#include "runtime/config/configure.h"
#include "runtime/container.h"
#include "cli/output.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool
is_profile_cmd (const struct cli_command *cmd)
{
  return mc_str_has_prefix (cmd->path, "profile");
}

/* The flags (the table's: --expanded where allowed) and the argument
 * count; 1: help was printed.  Commands with --expanded take flags
 * anywhere; the others stop at the first argument, so that a value such
 * as "-1" is not a flag.  */
/* The names' remote (config show|get|set|unset), or NULL: one command
 * per process.  */
static char *remote;

/* What a command's NAME is, as the API's collection.  */
static const char *
kind_of (const struct cli_command *cmd)
{
  return is_profile_cmd (cmd) ? "profiles" : "instances";
}

static int
parse_flags (const struct cli_command *cmd, int argc, char **argv, bool *expanded, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int r = cli_parse (cmd, argc, argv, &a, err);

  if (r == 0 && expanded)
    *expanded = cli_has (&a, "expanded");
  if (r == 0 && a.remote)
    remote = xstrdup (a.remote);
  return r;
}

/* LXD's --property (-p), which LXD users put last (`config set c1
 * description=web --property`), where the commands that stop at their
 * first argument would read it as a value: taken out of ARGV wherever it
 * is (*ARGC shrinks).  */
static bool
take_property (int *argc, char **argv)
{
  bool found = false;
  int i, j;

  for (i = j = 0; i < *argc; i++)
    if (i > 0 && (strcmp (argv[i], "--property") == 0 || strcmp (argv[i], "-p") == 0))
      found = true;
    else
      argv[j++] = argv[i];
  *argc = j;
  argv[j] = NULL;
  return found;
}

/* `get --property`: the field as LXD prints it.  */
static int
print_property (json_t *doc, const char *key, bool profile, mc_error_t *err)
{
  json_t *v;

  if (strcmp (key, "description") && (profile || strcmp (key, "ephemeral")))
    return mc_make_error (err, 0, "unknown property `%s` (%s)", key, profile ? "description" : "description, ephemeral");
  v = json_object_get (doc, key);
  printf ("%s\n", json_is_boolean (v) ? (json_is_true (v) ? "true" : "false") : json_string_value (v) ?: "");
  return 0;
}

static void
print_deferred (const char *what, json_t *deferred)
{
  json_t *k;
  size_t i;

  json_array_foreach (deferred, i, k)
    fprintf (stderr, "minictr: `%s` applies to %s at its next start\n", json_string_value (k), what);
  json_decref (deferred);
}

static int
remote_configure (const struct cli_command *cmd, const char *name, const struct mc_config_change *change,
                  mc_error_t *err)
{
  if (change->device == NULL)
    return mc_make_usage_error (err, "%s on a remote: not supported there", cmd->path);
  return cli_remote_change_device (remote, kind_of (cmd), name, change, err);
}

static int
configure (const struct cli_command *cmd, const char *name, const struct mc_config_change *change,
           mc_error_t *err)
{
  json_t *deferred = NULL;
  struct mc_store s;
  int ret;

  if (remote)
    return remote_configure (cmd, name, change, err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  if (is_profile_cmd (cmd))
    ret = mc_profile_configure (&s, name, change, &deferred, err);
  else
    ret = mc_container_configure (&s, name, change, &deferred, err);
  mc_store_close (&s);
  if (ret == 0 && deferred)
    {
      cleanup_free char *what = is_profile_cmd (cmd) ? xasprintf ("the containers using profile `%s`", name)
                                                     : xasprintf ("container `%s`", name);
      print_deferred (what, deferred);
    }
  return ret;
}

/* The document `config show` prints: LXD's instance fields, no times.  */
/* Profile NAME as the API has it: with its name, and the instances that
 * use it as URLs.  */
static json_t *
profile_doc (struct mc_store *s, const char *name, mc_error_t *err)
{
  cleanup_json json_t *prof = mc_profile_load (s, name, err), *users = NULL;
  json_t *u, *refs;
  size_t i;

  if (prof == NULL || (users = mc_profile_used_by (s, name, err)) == NULL)
    return NULL;
  json_object_set_new (prof, "name", json_string (name));
  refs = json_array ();
  json_array_foreach (users, i, u)
    json_array_append_new (refs, json_sprintf ("/1.0/instances/%s", json_string_value (u)));
  json_object_set_new (prof, "used_by", refs);
  return steal_pointer (&prof);
}

static json_t *
load_doc (const struct cli_command *cmd, struct mc_store *s, const char *name, bool expanded,
          mc_error_t *err)
{
  static const char *const fields[] = { "architecture", "config", "devices", "ephemeral",
                                        "profiles", "stateful", "description" };
  json_t *cfg, *out;
  size_t i;

  if (is_profile_cmd (cmd))
    return profile_doc (s, name, err);
  cfg = expanded ? mc_container_config_expanded (s, name, err) : mc_container_config_load (s, name, err);
  if (cfg == NULL)
    return NULL;
  out = json_object ();
  for (i = 0; i < sizeof (fields) / sizeof (fields[0]); i++)
    if (json_object_get (cfg, fields[i]))
      json_object_set (out, fields[i], json_object_get (cfg, fields[i]));
  json_decref (cfg);
  return out;
}

static int
cmd_show (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  bool expanded = false;
  struct mc_store s;
  json_t *doc;
  int r = parse_flags (cmd, argc, argv, is_profile_cmd (cmd) ? NULL : &expanded, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    doc = cli_remote_config_doc (remote, kind_of (cmd), argv[optind], expanded, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      doc = load_doc (cmd, &s, argv[optind], expanded, err);
      mc_store_close (&s);
    }
  if (doc == NULL)
    return -1;
  r = cli_print_yaml (doc, err);
  json_decref (doc);
  return r;
}

static int
cmd_get (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  bool expanded = false;
  struct mc_store s;
  json_t *doc;
  const char *v;
  bool property = take_property (&argc, argv);
  int r = parse_flags (cmd, argc, argv, is_profile_cmd (cmd) ? NULL : &expanded, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  /* A server key has no container: `config get core.https_address`.  */
  if (argc - optind == 1 && strncmp (argv[optind], "core.", 5) == 0)
    return cli_server_config (remote, "get", argv[optind], NULL, err);
  if (argc - optind != 2)
    return mc_make_usage_error (err, "config get: expected NAME KEY, or a server key (core.*)");
  if (remote)
    {
      if (property)
        return mc_make_usage_error (err, "config get --property on a remote: not supported there");
      if ((doc = cli_remote_config_doc (remote, kind_of (cmd), argv[optind], expanded, err)) == NULL)
        return -1;
    }
  else if ((!property && mc_config_key_find (argv[optind + 1], false, err) == NULL) || mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      doc = load_doc (cmd, &s, argv[optind], expanded, err);
      mc_store_close (&s);
    }
  if (doc == NULL)
    return -1;
  if (property)
    {
      r = print_property (doc, argv[optind + 1], is_profile_cmd (cmd), err);
      json_decref (doc);
      return r;
    }
  /* LXD prints an empty line for a key that is not set.  */
  v = json_string_value (json_object_get (json_object_get (doc, "config"), argv[optind + 1]));
  printf ("%s\n", v ? v : "");
  json_decref (doc);
  return 0;
}

/* argv[first..argc): `KEY VALUE` (two words, no `=` in KEY) or
 * `KEY=VALUE...`, into CHANGE's keys and values (KEYS and VALUES hold
 * them; the caller frees both).  */
static int
parse_pairs (const struct cli_command *cmd, int argc, char **argv, int first, struct mc_config_change *change,
             const char ***keys, const char ***values, mc_error_t *err)
{
  int i, n = argc - first;

  *keys = xmalloc0 (sizeof (char *) * (size_t) (n + 1));
  *values = xmalloc0 (sizeof (char *) * (size_t) (n + 1));
  change->n = 0;
  if (n == 2 && strchr (argv[first], '=') == NULL)
    {
      (*keys)[0] = argv[first];
      (*values)[0] = argv[first + 1];
      change->n = 1;
    }
  else
    for (i = 0; i < n; i++)
      {
        char *arg = argv[first + i], *eq = strchr (arg, '=');

        if (eq == NULL || eq == arg)
          return mc_make_usage_error (err, "%s: expected KEY VALUE or KEY=VALUE..., got `%s`", cmd->path, arg);
        *eq = '\0';
        (*keys)[change->n] = arg;
        (*values)[change->n++] = eq + 1;
      }
  change->keys = *keys;
  change->values = *values;
  return 0;
}

static int
cmd_set (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  cleanup_free const char **keys = NULL, **values = NULL;
  bool property = take_property (&argc, argv);
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (argc - optind == 2 && strncmp (argv[optind], "core.", 5) == 0)
    return cli_server_config (remote, "set", argv[optind], argv[optind + 1], err);
  /* `set NAME KEY VALUE`, or `set NAME KEY=VALUE...` */
  if (parse_pairs (cmd, argc, argv, optind + 1, &change, &keys, &values, err) < 0)
    return -1;
  if (remote)
    return property ? mc_make_usage_error (err, "config set --property on a remote: not supported there")
                    : cli_remote_config_set (remote, kind_of (cmd), argv[optind], change.keys, change.values, change.n, err);
  change.property = property;
  return configure (cmd, argv[optind], &change, err);
}

static int
cmd_unset (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  bool property = take_property (&argc, argv);
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (argc - optind == 1 && strncmp (argv[optind], "core.", 5) == 0)
    return cli_server_config (remote, "unset", argv[optind], NULL, err);
  if (argc - optind < 2)
    return mc_make_usage_error (err, "config unset: expected NAME KEY..., or a server key (core.*)");
  change.keys = (const char *const *) argv + optind + 1;
  change.n = (size_t) (argc - optind - 1);
  if (remote)
    return property ? mc_make_usage_error (err, "config unset --property on a remote: not supported there")
                    : cli_remote_config_unset (remote, kind_of (cmd), argv[optind], change.keys, change.n, err);
  change.property = property;
  return configure (cmd, argv[optind], &change, err);
}

/* ---- edit ------------------------------------------------------------------ */

/* Like `lxc config edit`: from standard input when it is not a terminal,
 * else in $VISUAL/$EDITOR/vi on a private temp file.  */
static int
cmd_edit (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  struct mc_store s;
  json_t *doc = NULL;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote == NULL && mc_store_open (&s, err) < 0)
    return -1;
  if (!isatty (STDIN_FILENO))
    doc = cli_read_yaml (STDIN_FILENO, "standard input", err);
  else if ((doc = remote ? cli_remote_config_doc (remote, kind_of (cmd), argv[optind], false, err)
                         : load_doc (cmd, &s, argv[optind], false, err)) != NULL)
    {
      json_t *shown = doc;

      json_object_del (shown, "used_by");
      json_object_del (shown, "name");
      doc = cli_edit_yaml (shown, "edit", err);
      json_decref (shown);
    }
  if (remote == NULL)
    mc_store_close (&s);
  if (doc == NULL)
    return -1;
  if (remote)
    {
      /* The server checks it as `edit` does here.  */
      r = cli_remote_replace (remote, kind_of (cmd), argv[optind], doc, err);
      json_decref (doc);
      return r;
    }
  change.replace = doc;
  r = configure (cmd, argv[optind], &change, err);
  json_decref (doc);
  return r;
}

/* ---- devices ----------------------------------------------------------------- */

static int
cmd_device_add (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  json_t *dev;
  int r = parse_flags (cmd, argc, argv, NULL, err), i;

  if (r != 0)
    return r < 0 ? -1 : 0;
  dev = json_object ();
  json_object_set_new (dev, "type", json_string (argv[optind + 2]));
  for (i = optind + 3; i < argc; i++)
    {
      char *eq = strchr (argv[i], '=');

      if (eq == NULL || eq == argv[i])
        {
          json_decref (dev);
          return mc_make_usage_error (err, "%s: expected KEY=VALUE, got `%s`", cmd->path, argv[i]);
        }
      *eq = '\0';
      json_object_set_new (dev, argv[i], json_string (eq + 1));
    }
  change.device = argv[optind + 1];
  change.device_conf = dev;
  r = configure (cmd, argv[optind], &change, err);
  json_decref (dev);
  if (r == 0)
    printf ("Device %s added to %s\n", change.device, argv[optind]);
  return r;
}

static int
cmd_device_remove (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  int r = parse_flags (cmd, argc, argv, NULL, err), i;

  if (r != 0)
    return r < 0 ? -1 : 0;
  for (i = optind + 1; i < argc && r == 0; i++)
    {
      change.device = argv[i];
      r = configure (cmd, argv[optind], &change, err);
      if (r == 0)
        printf ("Device %s removed from %s\n", argv[i], argv[optind]);
    }
  return r;
}

static int
cmd_device_set (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  cleanup_free const char **keys = NULL, **values = NULL;
  bool override = strcmp (cmd->name, "override") == 0;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  /* `set NAME DEVICE KEY VALUE` or `set NAME DEVICE KEY=VALUE...`;
     override takes KEY=VALUE... only, and may take none.  */
  if (argc - optind > 2 && parse_pairs (cmd, argc, argv, optind + 2, &change, &keys, &values, err) < 0)
    return -1;
  change.device = argv[optind + 1];
  change.device_op = override ? MC_DEVICE_OVERRIDE : MC_DEVICE_SET;
  r = configure (cmd, argv[optind], &change, err);
  if (r == 0 && override)
    printf ("Device %s overridden for %s\n", change.device, argv[optind]);
  return r;
}

static int
cmd_device_unset (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  change.device = argv[optind + 1];
  change.device_op = MC_DEVICE_SET;
  change.keys = (const char *const *) &argv[optind + 2];
  change.n = (size_t) (argc - optind - 2);
  return configure (cmd, argv[optind], &change, err);
}

/* LXD's `device get`: a key of the container's (or profile's) own device;
 * one a profile gives the container is read from the profile.  */
static int
cmd_device_get (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_json json_t *doc = NULL, *exp = NULL;
  const char *dname, *key;
  json_t *dev, *v;
  struct mc_store s;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  dname = argv[optind + 1];
  key = argv[optind + 2];
  if (remote)
    {
      doc = cli_remote_config_doc (remote, kind_of (cmd), argv[optind], false, err);
      if (doc && !is_profile_cmd (cmd) && json_object_get (json_object_get (doc, "devices"), dname) == NULL)
        exp = cli_remote_config_doc (remote, "instances", argv[optind], true, err);
    }
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      doc = load_doc (cmd, &s, argv[optind], false, err);
      if (doc && !is_profile_cmd (cmd) && json_object_get (json_object_get (doc, "devices"), dname) == NULL)
        exp = mc_container_config_expanded (&s, argv[optind], err);
      mc_store_close (&s);
    }
  if (doc == NULL)
    return -1;
  dev = json_object_get (json_object_get (doc, "devices"), dname);
  if (dev == NULL && exp && json_object_get (json_object_get (exp, "devices"), dname))
    return mc_make_error (err, 0, "device `%s` comes from a profile (see `minictr config show %s --expanded`, "
                          "or override it)", dname, argv[optind]);
  if (dev == NULL)
    return mc_make_error (err, 0, "device `%s` does not exist", dname);
  v = json_object_get (dev, key);
  printf ("%s\n", v ? json_string_value (v) : "");
  return 0;
}

static int
device_print (const struct cli_command *cmd, int argc, char **argv, bool list, mc_error_t *err)
{
  struct mc_store s;
  const char *key;
  json_t *doc, *v;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    doc = cli_remote_config_doc (remote, kind_of (cmd), argv[optind], false, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      doc = load_doc (cmd, &s, argv[optind], false, err);
      mc_store_close (&s);
    }
  if (doc == NULL)
    return -1;
  if (list)
    {
      json_t *names = json_array (), *n;
      size_t i, j;

      json_object_foreach (json_object_get (doc, "devices"), key, v)
        {
          for (i = 0; i < json_array_size (names); i++)
            if (strcmp (key, json_string_value (json_array_get (names, i))) < 0)
              break;
          json_array_insert_new (names, i, json_string (key));
        }
      json_array_foreach (names, j, n)
        printf ("%s\n", json_string_value (n));
      json_decref (names);
    }
  else
    r = cli_print_yaml (json_object_get (doc, "devices"), err);
  json_decref (doc);
  return r;
}

static int
cmd_device_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return device_print (cmd, argc, argv, true, err);
}

static int
cmd_device_show (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return device_print (cmd, argc, argv, false, err);
}

#define DEVICE_TYPES_HELP                                                                                \
  "Types and keys:\n"                                                                                  \
  "  disk   source=HOST_PATH path=PATH [readonly=true] [shift=true]\n"                                 \
  "  disk   path=/ [pool=POOL] [size=SIZE]: the root disk (size: a project quota)\n"                   \
  "  nic    network=NETWORK (or nictype=bridged parent=NETWORK) [name=eth0]\n"                         \
  "         [ipv4.address=A.B.C.D] [hwaddr=00:16:3e:..] [mtu=N]\n"                                      \
  "  unix-char, unix-block  source=HOST_NODE and/or path=PATH [major=N minor=N]\n"                     \
  "         [uid=N] [gid=N] [mode=0660] [required=false]: /dev/fuse, /dev/net/tun, /dev/kvm\n"    \
  "  proxy  listen=tcp:ADDR:PORT|udp:ADDR:PORT|unix:PATH connect=... [bind=host|container]\n"            \
  "         [uid=N gid=N mode=0644]: listen=tcp:0.0.0.0:8080 connect=tcp:127.0.0.1:80\n"

static const struct cli_command config_device_commands[] = {
  { "add", "config device add", NULL, "config device add NAME DEVICE TYPE [KEY=VALUE...]",
    "Add a device (disk: a host path bind-mounted; nic: an interface on a network)", DEVICE_TYPES_HELP,
    cmd_device_add, NULL, 3, CLI_ANY, true, CLI_NAME (0), NULL },
  { "remove", "config device remove", "rm", "config device remove NAME DEVICE...", "Remove devices", NULL,
    cmd_device_remove, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "list", "config device list", "ls", "config device list NAME", "List devices", NULL, cmd_device_list, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "show", "config device show", NULL, "config device show NAME", "Show devices as YAML", NULL, cmd_device_show, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "get", "config device get", NULL, "config device get NAME DEVICE KEY", "Print a device key", NULL,
    cmd_device_get, NULL, 3, 3, true, CLI_NAME (0), NULL },
  { "set", "config device set", NULL, "config device set NAME DEVICE KEY VALUE | KEY=VALUE...",
    "Set keys of the container's own device",
    "A device that comes from a profile is overridden first (`config device override`).\n", cmd_device_set, NULL, 3,
    CLI_ANY, true, CLI_NAME (0), NULL },
  { "unset", "config device unset", NULL, "config device unset NAME DEVICE KEY...", "Unset keys of a device", NULL,
    cmd_device_unset, NULL, 3, CLI_ANY, true, CLI_NAME (0), NULL },
  { "override", "config device override", NULL, "config device override NAME DEVICE [KEY=VALUE...]",
    "Copy a profile's device into the container, with keys changed",
    "The usual way to size a container's root disk: `config device override c1 root size=2GiB`.\n",
    cmd_device_set, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
};

static const struct cli_command profile_device_commands[] = {
  { "add", "profile device add", NULL, "profile device add PROFILE DEVICE TYPE [KEY=VALUE...]",
    "Add a device (disk: a host path bind-mounted; nic: an interface on a network)", DEVICE_TYPES_HELP,
    cmd_device_add, NULL, 3, CLI_ANY, true, CLI_NAME (0), NULL },
  { "remove", "profile device remove", "rm", "profile device remove PROFILE DEVICE...", "Remove devices", NULL,
    cmd_device_remove, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "list", "profile device list", "ls", "profile device list PROFILE", "List devices", NULL, cmd_device_list, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "show", "profile device show", NULL, "profile device show PROFILE", "Show devices as YAML", NULL,
    cmd_device_show, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "get", "profile device get", NULL, "profile device get PROFILE DEVICE KEY", "Print a device key", NULL,
    cmd_device_get, NULL, 3, 3, true, CLI_NAME (0), NULL },
  { "set", "profile device set", NULL, "profile device set PROFILE DEVICE KEY VALUE | KEY=VALUE...",
    "Set keys of a device", NULL, cmd_device_set, NULL, 3, CLI_ANY, true, CLI_NAME (0), NULL },
  { "unset", "profile device unset", NULL, "profile device unset PROFILE DEVICE KEY...", "Unset keys of a device",
    NULL, cmd_device_unset, NULL, 3, CLI_ANY, true, CLI_NAME (0), NULL },
};

static int
cmd_config_device (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  (void) cmd;
  return cli_dispatch ("config device", "Manage a container's devices.", config_device_commands,
                       sizeof (config_device_commands) / sizeof (config_device_commands[0]), argc, argv, err);
}

static int
cmd_profile_device (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  (void) cmd;
  return cli_dispatch ("profile device", "Manage a profile's devices.", profile_device_commands,
                       sizeof (profile_device_commands) / sizeof (profile_device_commands[0]), argc, argv, err);
}

/* ---- config keys --------------------------------------------------------------- */

static int
cmd_keys (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  size_t n, i;
  const struct mc_config_key *k = mc_config_keys (&n);
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  printf ("%-26s %-8s %-7s %s\n", "KEY", "DEFAULT", "LIVE", "DESCRIPTION");
  for (i = 0; i < n; i++)
    {
      cleanup_free char *name = k[i].prefix ? xasprintf ("%s*", k[i].name) : xstrdup (k[i].name);

      printf ("%-26s %-8s %-7s %s\n", name, k[i].dflt ? k[i].dflt : "-", k[i].live ? "yes" : "restart",
              k[i].doc);
    }
  return 0;
}

static const struct cli_flag expanded_flags[] = { { "expanded", 'e', false }, { NULL, 0, false } };
static const struct cli_flag format_flags[] = { { "format", 'f', true }, { NULL, 0, false } };

static const struct cli_command config_commands[] = {
  { "show", "config show", NULL, "config show NAME [--expanded]", "Show a container's configuration as YAML",
    "Flags:\n  -e, --expanded        The effective configuration, profiles stacked\n", cmd_show, expanded_flags, 1, 1, false, CLI_NAME (0), NULL },
  { "get", "config get", NULL, "config get NAME KEY [--expanded] [--property] | config get core.KEY", "Print a config key's value",
    "Flags:\n  -e, --expanded        Look in the effective configuration\n"
    "  -p, --property        KEY is the container's own field (description, ephemeral)\n", cmd_get, expanded_flags, 1, 2, false, CLI_NAME (0), NULL },
  { "set", "config set", NULL, "config set NAME KEY VALUE | KEY=VALUE... [--property] | config set core.KEY VALUE", "Set config keys",
    "Live keys (limits.*, environment.*, ...) apply to a running container at once;\n"
    "the others at its next start.  `minictr config keys` lists them.  The server's\n"
    "own keys have no container: core.https_address (HOST:PORT) is where\n"
    "`minictr serve` answers over HTTPS.\n\n"
    "Flags:\n  -p, --property        Set the container's own fields instead (description, ephemeral)\n", cmd_set, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "unset", "config unset", NULL, "config unset NAME KEY... [--property] | config unset core.KEY", "Unset config keys",
    "Flags:\n  -p, --property        Unset the container's own fields instead (description, ephemeral)\n", cmd_unset, NULL, 1, CLI_ANY, true, CLI_NAME (0), NULL },
  { "edit", "config edit", NULL, "config edit NAME [< config.yaml]",
    "Edit the configuration as YAML in $VISUAL/$EDITOR (or read it from standard input)", NULL, cmd_edit, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "device", "config device", NULL, "config device add|remove|list|show ...", "Manage devices", NULL,
    cmd_config_device, NULL, 0, CLI_ANY, false, 0, NULL },
  { "keys", "config keys", NULL, "config keys", "List the config keys minictr knows", NULL, cmd_keys, NULL, 0, 0, true, 0, NULL },
  { "trust", "config trust", NULL, "config trust add|add-certificate|list|remove ...",
    "Manage the clients the API server trusts over HTTPS", NULL, cli_cmd_config_trust, NULL, 0, CLI_ANY, false, 0,
    NULL },
};

int
cli_config (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("config", "Manage container configuration: keys, limits and devices.", config_commands,
                       sizeof (config_commands) / sizeof (config_commands[0]), argc, argv, err);
}

/* ---- profiles -------------------------------------------------------------------- */

/* The local profiles as the API has them (with name and used_by).  */
static json_t *
local_profiles (mc_error_t *err)
{
  struct mc_store s;
  json_t *names, *n, *all;
  size_t i;

  if (mc_store_open (&s, err) < 0)
    return NULL;
  if ((names = mc_profile_names (&s, err)) == NULL)
    return mc_store_close (&s), NULL;
  all = json_array ();
  json_array_foreach (names, i, n)
    {
      json_t *p = profile_doc (&s, json_string_value (n), err);

      if (p == NULL)
        {
          json_decref (all);
          all = NULL;
          break;
        }
      json_array_append_new (all, p);
    }
  json_decref (names);
  mc_store_close (&s);
  return all;
}

static int
cmd_profile_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "NAME", "DESCRIPTION", "USED BY" };
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  cleanup_json json_t *all = NULL;
  struct cli_table t;
  json_t *p;
  size_t i;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  all = a.remote ? cli_remote_list (a.remote, "/1.0/profiles?recursion=1", err) : local_profiles (err);
  if (all == NULL)
    return -1;
  cli_table_init (&t, headers, 3);
  json_array_foreach (all, i, p)
    {
      char count[32];
      const char *row[3];

      snprintf (count, sizeof (count), "%zu", json_array_size (json_object_get (p, "used_by")));
      row[0] = json_string_value (json_object_get (p, "name"));
      row[1] = json_string_value (json_object_get (p, "description"));
      row[2] = count;
      cli_table_add (&t, row);
    }
  r = cli_print (fmt, &t, all, err);
  cli_table_release (&t);
  return r;
}

/* profile create on a remote: POST /1.0/profiles (the YAML on standard
 * input, when it is not a terminal, is the new profile).  */
static int
remote_profile_create (const char *name, mc_error_t *err)
{
  cleanup_json json_t *p = isatty (STDIN_FILENO) ? json_object () : cli_read_yaml (STDIN_FILENO, "standard input", err);
  cleanup_json json_t *body = NULL;
  int r;

  if (p == NULL)
    return -1;
  body = json_deep_copy (p);
  json_object_set_new (body, "name", json_string (name));
  r = cli_remote_call (remote, "POST", "/1.0/profiles", body, NULL, err);
  if (r == 0)
    printf ("Profile %s created\n", name);
  return r;
}

static int
cmd_profile_create (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_close int lock = -1;
  struct mc_store s;
  json_t *p = NULL;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    return remote_profile_create (argv[optind], err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  if (!isatty (STDIN_FILENO))
    p = cli_read_yaml (STDIN_FILENO, "standard input", err);
  else
    p = json_object ();
  if (p == NULL || (lock = mc_profiles_lock (&s, err)) < 0)
    r = -1;
  else
    r = mc_profile_save (&s, argv[optind], p, true, err);
  json_decref (p);
  mc_store_close (&s);
  if (r == 0)
    printf ("Profile %s created\n", argv[optind]);
  return r;
}

static int
cmd_profile_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_store s;
  int r = parse_flags (cmd, argc, argv, NULL, err), i;

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    {
      for (i = optind; i < argc && r == 0; i++)
        if ((r = cli_remote_object_call (remote, "DELETE", "profiles", argv[i], "", NULL, NULL, err)) == 0)
          printf ("Profile %s deleted\n", argv[i]);
      return r;
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  for (i = optind; i < argc && r == 0; i++)
    {
      cleanup_close int lock = mc_profiles_lock (&s, err);

      r = lock < 0 ? -1 : mc_profile_delete (&s, argv[i], err);
      if (r == 0)
        printf ("Profile %s deleted\n", argv[i]);
    }
  mc_store_close (&s);
  return r;
}

/* profile copy (GET, then POST the copy) or rename (POST the new name)
 * on a remote.  */
static int
remote_profile_copy_rename (bool copy, const char *from, const char *to, mc_error_t *err)
{
  cleanup_json json_t *p = NULL, *body = NULL;

  if (!copy)
    {
      body = json_pack ("{s:s}", "name", to);
      return cli_remote_object_call (remote, "POST", "profiles", from, "", body, NULL, err);
    }
  if ((p = cli_remote_config_doc (remote, "profiles", from, false, err)) == NULL)
    return -1;
  body = json_pack ("{s:s, s:O?, s:O?, s:O?}", "name", to, "config", json_object_get (p, "config"), "devices",
                    json_object_get (p, "devices"), "description", json_object_get (p, "description"));
  return cli_remote_call (remote, "POST", "/1.0/profiles", body, NULL, err);
}

static int
cmd_profile_copy_rename (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_close int lock = -1;
  bool copy = strcmp (cmd->name, "copy") == 0;
  struct mc_store s;
  json_t *p;
  int r = parse_flags (cmd, argc, argv, NULL, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  if (remote)
    return remote_profile_copy_rename (copy, argv[optind], argv[optind + 1], err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  if ((lock = mc_profiles_lock (&s, err)) < 0)
    r = -1;
  else if (copy)
    {
      r = (p = mc_profile_load (&s, argv[optind], err)) == NULL ? -1
          : mc_profile_save (&s, argv[optind + 1], p, true, err);
      json_decref (p);
    }
  else
    r = mc_profile_rename (&s, argv[optind], argv[optind + 1], err);
  mc_store_close (&s);
  return r;
}

/* profile add|remove|assign NAME PROFILE: edit a container's list.  */
static int
cmd_profile_assign (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_config_change change = { 0 };
  struct mc_store s;
  json_t *cfg, *list = NULL, *p;
  size_t i;
  int r = parse_flags (cmd, argc, argv, NULL, err);
  const char *name, *arg;

  if (r != 0)
    return r < 0 ? -1 : 0;
  name = argv[optind];
  arg = argv[optind + 1];
  if (remote)
    cfg = cli_remote_config_doc (remote, "instances", name, false, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else if ((cfg = mc_container_config_load (&s, name, err)) == NULL)
    mc_store_close (&s);
  if (cfg == NULL)
    return -1;
  list = json_deep_copy (json_object_get (cfg, "profiles"));
  json_decref (cfg);
  if (!json_is_array (list))
    {
      json_decref (list);
      list = json_array ();
    }
  if (strcmp (cmd->name, "assign") == 0)
    {
      cleanup_free char *copy = xstrdup (arg);
      char *save = NULL, *tok;

      json_array_clear (list);
      for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        json_array_append_new (list, json_string (tok));
    }
  else if (strcmp (cmd->name, "add") == 0)
    {
      json_array_foreach (list, i, p)
        if (strcmp (json_string_value (p) ?: "", arg) == 0)
          r = mc_make_error (err, 0, "container `%s` already has profile `%s`", name, arg);
      json_array_append_new (list, json_string (arg));
    }
  else
    {
      size_t found = SIZE_MAX;

      json_array_foreach (list, i, p)
        if (strcmp (json_string_value (p) ?: "", arg) == 0)
          found = i;
      if (found == SIZE_MAX)
        r = mc_make_error (err, 0, "container `%s` does not have profile `%s`", name, arg);
      else
        json_array_remove (list, found);
    }
  change.profiles = list;
  if (r == 0 && remote)
    {
      cleanup_json json_t *body = json_pack ("{s:O}", "profiles", list);

      r = cli_remote_instance_call (remote, "PATCH", name, "", body, NULL, err);
    }
  else if (r == 0)
    r = mc_container_configure (&s, name, &change, NULL, err);
  json_decref (list);
  if (remote == NULL)
    mc_store_close (&s);
  if (r == 0)
    printf ("Profiles %s applied to %s\n", arg, name);
  return r;
}

static const struct cli_command profile_commands[] = {
  { "list", "profile list", "ls", "profile list [--format table|csv|json|yaml|compact]", "List profiles",
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n", cmd_profile_list, format_flags, 0, 0,
    false, CLI_NAME (0), NULL },
  { "show", "profile show", NULL, "profile show PROFILE", "Show a profile as YAML", NULL, cmd_show, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "create", "profile create", NULL, "profile create PROFILE [< profile.yaml]", "Create a profile", NULL,
    cmd_profile_create, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "delete", "profile delete", "rm", "profile delete PROFILE...", "Delete profiles no container uses", NULL,
    cmd_profile_delete, NULL, 1, CLI_ANY, true, CLI_NAMES_ALL, NULL },
  { "copy", "profile copy", "cp", "profile copy PROFILE NEW", "Copy a profile", NULL, cmd_profile_copy_rename, NULL, 2, 2, true, CLI_NAME (0) | CLI_NAME (1), NULL },
  { "rename", "profile rename", "mv", "profile rename PROFILE NEW", "Rename a profile (and in its containers)",
    NULL, cmd_profile_copy_rename, NULL, 2, 2, true, CLI_NAME (0), NULL },
  { "get", "profile get", NULL, "profile get PROFILE KEY [--property]", "Print a profile key's value",
    "Flags:\n  -p, --property        KEY is the profile's own field (description)\n", cmd_get, NULL, 2, 2, true, CLI_NAME (0), NULL },
  { "set", "profile set", NULL, "profile set PROFILE KEY VALUE | KEY=VALUE... [--property]",
    "Set profile keys (live keys apply at once to running containers using it)",
    "Flags:\n  -p, --property        Set the profile's own fields instead (description)\n", cmd_set, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "unset", "profile unset", NULL, "profile unset PROFILE KEY... [--property]", "Unset profile keys",
    "Flags:\n  -p, --property        Unset the profile's own fields instead (description)\n", cmd_unset, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "edit", "profile edit", NULL, "profile edit PROFILE [< profile.yaml]",
    "Edit a profile as YAML in $VISUAL/$EDITOR (or read it from standard input)", NULL, cmd_edit, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "device", "profile device", NULL, "profile device add|remove|list|show ...", "Manage a profile's devices",
    NULL, cmd_profile_device, NULL, 0, CLI_ANY, false, 0, NULL },
  { "add", "profile add", NULL, "profile add NAME PROFILE", "Add a profile to a container (applied last)", NULL,
    cmd_profile_assign, NULL, 2, 2, true, CLI_NAME (0), NULL },
  { "remove", "profile remove", NULL, "profile remove NAME PROFILE", "Remove a profile from a container", NULL,
    cmd_profile_assign, NULL, 2, 2, true, CLI_NAME (0), NULL },
  { "assign", "profile assign", NULL, "profile assign NAME P1,P2,...", "Set a container's profile list", NULL,
    cmd_profile_assign, NULL, 2, 2, true, CLI_NAME (0), NULL },
};

int
cli_profile (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("profile", "Manage profiles: stacked configuration shared by containers.", profile_commands,
                       sizeof (profile_commands) / sizeof (profile_commands[0]), argc, argv, err);
}
