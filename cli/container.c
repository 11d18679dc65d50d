/* Container commands, LXD's verbs at the top level: init, launch, start,
 * stop, restart, pause, resume, delete, list, info, console.  */
#include "cli/cli.h"
#include "api/client.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/info.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"
#include "cli/output.h"
#include "runtime/history/snapshot.h"
#include "runtime/config/config.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "lib/selfexe.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <arpa/inet.h>
#include <regex.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef cli_locked_fn locked_fn;

/* RECOVER: put right first what a killed command left (cli.h).  */
static int
with_lock (const char *name, cli_locked_fn fn, void *data, bool recover, mc_error_t *err)
{
  struct mc_store store;
  int lock, ret;

  if (mc_store_open (&store, err) < 0)
    return -1;
  lock = recover ? mc_container_lock (&store, name, err) : mc_container_lock_bare (&store, name, err);
  ret = lock < 0 ? -1 : fn (&store, name, data, err);
  if (lock >= 0)
    close (lock);
  mc_store_close (&store);
  return ret;
}

int
cli_with_lock (const char *name, cli_locked_fn fn, void *data, mc_error_t *err)
{
  return with_lock (name, fn, data, true, err);
}

int
cli_seal_if_privileged (json_t *names, json_t *new_cfg, mc_error_t *err)
{
  return cli_seal_if_privileged_stdin (names, new_cfg, NULL, 0, err);
}

int
cli_seal_if_privileged_stdin (json_t *names, json_t *new_cfg, const char *stdin_data, size_t len,
                              mc_error_t *err)
{
  struct mc_store store;
  bool privileged = false;
  json_t *n;
  size_t i;

  if (mc_selfexe_is_sealed (err) != 0)
    return *err ? -1 : 0;
  if (mc_store_open (&store, err) < 0)
    return -1;
  json_array_foreach (names, i, n)
    {
      cleanup_json json_t *cfg = NULL;
      mc_error_t e = NULL;

      if ((cfg = mc_container_config_expanded (&store, json_string_value (n), &e)) == NULL)
        mc_error_release (&e);
      else if (mc_config_get_bool (cfg, "security.privileged", false))
        privileged = true;
    }
  if (new_cfg && !privileged)
    {
      cleanup_json json_t *cfg = NULL;
      mc_error_t e = NULL;

      /* (an error here is the create's to report)  */
      if ((cfg = mc_config_expand (&store, new_cfg, &e)) == NULL)
        mc_error_release (&e);
      else if (mc_config_get_bool (cfg, "security.privileged", false))
        privileged = true;
    }
  mc_store_close (&store);
  return privileged ? mc_selfexe_ensure_sealed_stdin (stdin_data, len, err) : 0;
}

static int
do_start (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  (void) data;
  return mc_container_change_state (s, name, MC_STATE_START, false, -1, err);
}

struct stop_opts
{
  bool force;
  int timeout;
  bool restart;
};

static int
do_stop (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  struct stop_opts *o = data;

  return mc_container_change_state (s, name, o->restart ? MC_STATE_RESTART : MC_STATE_STOP, o->force, o->timeout,
                                    err);
}

static int
do_pause (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  (void) data;
  return mc_container_change_state (s, name, MC_STATE_FREEZE, false, -1, err);
}

static int
do_resume (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  (void) data;
  return mc_container_change_state (s, name, MC_STATE_UNFREEZE, false, -1, err);
}

static int
do_delete (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  return mc_container_delete (s, name, *(bool *) data, err);
}

/* ---- init / launch ------------------------------------------------------ */

/* `lxc init` reads a YAML config from stdin when stdin is not a terminal;
 * *TEXT gets what was read (NULL: nothing), *LEN its length.  */
static int
read_stdin_config (json_t **out, char **text, size_t *len, mc_error_t *err)
{
  *out = NULL;
  *text = NULL;
  *len = 0;
  if (isatty (STDIN_FILENO))
    return 0;
  if (mc_read_fd (STDIN_FILENO, "standard input", 1 << 20, text, len, err) < 0)
    return -1;
  if (*len == 0)
    return 0;
  *out = mc_yaml_load_mapping (*text, *len, "standard input", err);
  return *out == NULL ? -1 : 0;
}

int
cli_create_overrides (const struct cli_args *a, json_t **over, mc_error_t *err)
{
  const char *const *kv;
  json_t *config;

  if (*over == NULL)
    *over = json_object ();
  for (kv = cli_values (a, "config", NULL); *kv; kv++)
    {
      const char *eq = strchr (*kv, '=');
      cleanup_free char *key = NULL;

      if (eq == NULL || eq == *kv)
        return mc_make_usage_error (err, "invalid -c `%s`: expected KEY=VALUE", *kv);
      key = xstrndup (*kv, (size_t) (eq - *kv));
      if (mc_str_has_prefix (key, "volatile."))
        return mc_make_usage_error (err, "config key `%s` is managed by minictr and cannot be set", key);
      if (!json_is_object (config = json_object_get (*over, "config")))
        json_object_set_new (*over, "config", config = json_object ());
      json_object_set_new (config, key, json_string (eq + 1));
    }
  if (cli_has (a, "no-profiles"))
    {
      if (cli_has (a, "profile"))
        return mc_make_usage_error (err, "--no-profiles and --profile exclude each other");
      json_object_set_new (*over, "profiles", json_array ());
    }
  return 0;
}

static int
create_and_maybe_start (const struct cli_command *cmd, int argc, char **argv, bool start,
                        mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_create_request req = { .ephemeral = false };
  cleanup_free char *stdin_text = NULL;
  size_t stdin_len = 0;
  struct mc_store store;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "vm"))
    return mc_make_usage_error (err, "%s --vm: minictr runs system containers, not virtual machines", cmd->path);
  if (cli_has (&a, "type"))
    return mc_make_usage_error (err, "%s --type %s: instance types are not supported (set limits.cpu and "
                                "limits.memory with -c)", cmd->path, cli_value (&a, "type"));
  if (cli_has (&a, "console") && !start)
    return mc_make_usage_error (err, "init --console: a container that init made is not running (use launch)");
  if (cli_has (&a, "empty"))
    return mc_make_usage_error (err, "%s --empty: a minictr container is made from an image (import a root "
                                "filesystem as one: `minictr image import META ROOTFS`)", cmd->path);
  /* One argument is for --empty only (LXD's `init --empty NAME`); more
     than two are an OCI image's command (`-- COMMAND...`: oci.cmd).  */
  if (cli_want_args (cmd, argc - optind, 2, CLI_ANY, err) < 0)
    return -1;
  req.ephemeral = cli_has (&a, "ephemeral");
  req.device_keys = cli_values (&a, "device", &req.n_device_keys);
  req.profiles = cli_values (&a, "profile", &req.n_profiles);
  if (req.n_profiles == 0)
    req.profiles = NULL;
  req.image = argv[optind];
  req.name = argv[optind + 1];
  if (mc_container_name_validate (req.name, err) < 0)
    return -1;
  if (read_stdin_config (&req.overrides, &stdin_text, &stdin_len, err) < 0
      || cli_create_overrides (&a, &req.overrides, err) < 0)
    {
      json_decref (req.overrides);
      return -1;
    }
  if (argc - optind > 2)
    {
      cleanup_json json_t *words = json_array ();
      cleanup_free char *text = NULL;
      json_t *config = json_object_get (req.overrides, "config");
      int k;

      for (k = optind + 2; k < argc; k++)
        json_array_append_new (words, json_string (argv[k]));
      if (!json_is_object (config))
        json_object_set_new (req.overrides, "config", config = json_object ());
      text = json_dumps (words, JSON_COMPACT);
      json_object_set_new (config, "oci.cmd", json_string (text));
    }
  /* LXD's --network NET and --storage POOL: an eth0 nic on NET and the
   * root disk from POOL, the container's own (over its profiles').  */
  if (cli_has (&a, "network") || cli_has (&a, "storage"))
    {
      json_t *devices = json_object_get (req.overrides, "devices");

      if (!json_is_object (devices))
        json_object_set_new (req.overrides, "devices", devices = json_object ());
      if (cli_has (&a, "network"))
        json_object_set_new (devices, "eth0", json_pack ("{s:s, s:s, s:s}", "type", "nic", "network",
                                                         cli_value (&a, "network"), "name", "eth0"));
      if (cli_has (&a, "storage"))
        json_object_set_new (devices, "root", json_pack ("{s:s, s:s, s:s}", "type", "disk", "path", "/", "pool",
                                                         cli_value (&a, "storage")));
    }
  if (a.remote)
    {
      /* On a remote: from an image of that server's.  */
      if (cli_has (&a, "console") || req.n_device_keys > 0)
        ret = mc_make_usage_error (err, "%s on a remote: --console and -d are not supported there", cmd->path);
      else
        ret = cli_remote_create (a.remote, req.image, req.name, req.overrides, req.profiles, req.n_profiles,
                                 req.ephemeral, start, err);
      json_decref (req.overrides);
      return ret;
    }
  if (mc_store_open (&store, err) < 0)
    {
      json_decref (req.overrides);
      return -1;
    }
  if (start)
    {
      /* The new container's config as its profiles and keys make it.  */
      cleanup_json json_t *new_cfg = json_pack ("{s:[]}", "profiles");
      size_t k;

      if (json_is_object (json_object_get (req.overrides, "config")))
        json_object_set (new_cfg, "config", json_object_get (req.overrides, "config"));
      for (k = 0; k < (req.profiles ? req.n_profiles : 1); k++)
        json_array_append_new (json_object_get (new_cfg, "profiles"),
                               json_string (req.profiles ? req.profiles[k] : "default"));
      if (cli_seal_if_privileged_stdin (NULL, new_cfg, stdin_text, stdin_len, err) < 0)
        {
          mc_store_close (&store);
          json_decref (req.overrides);
          return -1;
        }
    }
  /* (flushed: in a log that holds stdout and stderr, the progress comes
     before an error) */
  printf ("Creating %s\n", req.name);
  fflush (stdout);
  ret = mc_container_create (&store, &req, err);
  json_decref (req.overrides);
  mc_store_close (&store);
  if (ret == 0 && start)
    {
      printf ("Starting %s\n", req.name);
      fflush (stdout);
      ret = cli_with_lock (req.name, do_start, NULL, err);
    }
  /* LXD's launch --console: attached once it runs.  */
  if (ret == 0 && cli_has (&a, "console"))
    {
      fflush (stdout);
      ret = mc_console_attach (req.name, err);
    }
  return ret;
}

static int
cmd_init (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return create_and_maybe_start (cmd, argc, argv, false, err);
}

static int
cmd_launch (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return create_and_maybe_start (cmd, argc, argv, true, err);
}

/* ---- start / pause / resume / delete ----------------------------------- */

/* Which containers LXD's --all means.  */
enum all_of
{
  ALL_STOPPED,   /* start */
  ALL_ACTIVE,    /* stop, restart: running or paused */
  ALL_RUNNING,   /* pause */
  ALL_PAUSED,    /* resume */
};

/* The names the command acts on: its arguments, or with LXD's --all
 * every container in the state WHICH says.  */
static json_t *
target_names (const struct cli_command *cmd, const struct cli_args *a, int argc, char **argv, enum all_of which,
              mc_error_t *err)
{
  json_t *out = json_array (), *names, *n;
  struct mc_store store;
  size_t i;
  int k;

  if (!cli_has (a, "all"))
    {
      if (optind == argc)
        {
          json_decref (out);
          return mc_make_usage_error (err, "%s: wrong number of arguments (usage: minictr %s)", cmd->path,
                                      cmd->usage), NULL;
        }
      for (k = optind; k < argc; k++)
        json_array_append_new (out, json_string (argv[k]));
      return out;
    }
  if (optind < argc)
    {
      json_decref (out);
      return mc_make_usage_error (err, "%s: --all and names exclude each other", cmd->path), NULL;
    }
  if (mc_store_open (&store, err) < 0 || (names = mc_container_names (&store, err)) == NULL)
    {
      json_decref (out);
      return NULL;
    }
  mc_store_close (&store);
  json_array_foreach (names, i, n)
    {
      struct mc_run_state st;
      enum mc_status status = MC_STATUS_STOPPED;
      mc_error_t e = NULL;

      if (mc_container_status (json_string_value (n), &st, &status, &e) < 0)
        mc_error_release (&e);
      if ((which == ALL_STOPPED && status == MC_STATUS_STOPPED) || (which == ALL_ACTIVE && status != MC_STATUS_STOPPED)
          || (which == ALL_RUNNING && status == MC_STATUS_RUNNING) || (which == ALL_PAUSED && status == MC_STATUS_FROZEN))
        json_array_append (out, n);
    }
  json_decref (names);
  return out;
}

/* start, stop, restart, pause on a remote: each name's state changed
 * there (--all and --console are for the local store).  */
static int
remote_names (const struct cli_command *cmd, const struct cli_args *a, int argc, char **argv, const char *action,
              bool force, int timeout, mc_error_t *err)
{
  int k;

  if (cli_has (a, "all") || (strcmp (cmd->name, "start") == 0 && cli_has (a, "console")))
    return mc_make_usage_error (err, "%s on a remote: --all and --console are not supported there", cmd->path);
  if (optind == argc)
    return mc_make_usage_error (err, "%s: wrong number of arguments (usage: minictr %s)", cmd->path, cmd->usage);
  for (k = optind; k < argc; k++)
    if (cli_remote_state (a->remote, argv[k], action, force, timeout, err) < 0)
      return -1;
  return 0;
}

static int
names_only (const struct cli_command *cmd, int argc, char **argv, locked_fn fn, void *data, enum all_of which,
            mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *names = NULL;
  json_t *n;
  size_t i;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    return remote_names (cmd, &a, argc, argv,
                         strcmp (cmd->name, "start") == 0 ? "start" : strcmp (cmd->name, "resume") == 0 ? "unfreeze"
                                                                                                       : "freeze",
                         false, -1, err);
  if ((names = target_names (cmd, &a, argc, argv, which, err)) == NULL
      || (fn == do_start && cli_seal_if_privileged (names, NULL, err) < 0))
    return -1;
  json_array_foreach (names, i, n)
    if (cli_with_lock (json_string_value (n), fn, data, err) < 0)
      return -1;
  /* LXD's start --console: the (last) container's console.  */
  if (strcmp (cmd->name, "start") == 0 && cli_has (&a, "console") && json_array_size (names) > 0)
    {
      fflush (stdout);
      return mc_console_attach (json_string_value (json_array_get (names, json_array_size (names) - 1)), err);
    }
  return 0;
}

static int
cmd_start (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return names_only (cmd, argc, argv, do_start, NULL, ALL_STOPPED, err);
}

static int
cmd_pause (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return names_only (cmd, argc, argv, do_pause, NULL, ALL_RUNNING, err);
}

static int
cmd_resume (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return names_only (cmd, argc, argv, do_resume, NULL, ALL_PAUSED, err);
}

static int
do_delete_snapshot (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  return mc_snapshot_delete (s, name, data, err);
}

/* `delete --force` of several containers: LXD's client deletes them one
 * after the other, and so do we, but every running one gets its SIGKILL
 * first, so that their ends (the kernel's teardown of their namespaces
 * and mounts, their monitors' cleanup) overlap rather than follow each
 * other.  Only names the deletes will get to are killed: the pass stops
 * at the first that would fail (and the deletes then stop there too).  */
static void
kill_first (char **names, int n)
{
  struct mc_store store;
  mc_error_t e = NULL;
  int i;

  if (mc_store_open (&store, &e) < 0)
    {
      mc_error_release (&e);
      return;
    }
  for (i = 0; i < n && strchr (names[i], '/') == NULL; i++)
    if (mc_container_kill_for_delete (&store, names[i], &e) < 0)
      break;
  mc_error_release (&e);
  mc_store_close (&store);
}

static int
cmd_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  bool force;
  int i;

  CLI_PARSE (cmd, argc, argv, &a, err);
  force = cli_has (&a, "force");
  if (force && !cli_has (&a, "interactive") && a.remote == NULL && argc - optind > 1)
    kill_first (argv + optind, argc - optind);
  for (i = optind; i < argc; i++)
    {
      /* LXD's `delete NAME/SNAP` deletes a snapshot.  */
      char *slash = strchr (argv[i], '/');

      if (slash && slash[1] != '\0')
        *slash = '\0';
      /* LXD's -i: yes, or it is left alone.  */
      if (cli_has (&a, "interactive"))
        {
          char answer[16] = "";

          printf ("Remove %s%s%s (yes/no): ", argv[i], slash ? "/" : "", slash ? slash + 1 : "");
          fflush (stdout);
          if (fgets (answer, sizeof (answer), stdin) == NULL || (strcmp (answer, "yes\n") && strcmp (answer, "y\n")))
            {
              printf ("\n");
              continue;
            }
        }
      if (a.remote)
        {
          if (slash)
            return mc_make_usage_error (err, "delete on a remote: snapshots are not supported there");
          if (cli_remote_delete (a.remote, argv[i], force, err) < 0)
            return -1;
          continue;
        }
      /* (a snapshot's delete waits for the repair: a restore left half
         done may need that snapshot) */
      if (with_lock (argv[i], slash ? do_delete_snapshot : do_delete, slash ? slash + 1 : (void *) &force, slash != NULL,
                     err)
          < 0)
        return -1;
    }
  return 0;
}

static int
parse_timeout (const char *s, int *out, mc_error_t *err)
{
  char *end;
  long v = strtol (s, &end, 10);

  if (*s == '\0' || *end != '\0' || v < 0 || v > 86400)
    return mc_make_usage_error (err, "invalid --timeout `%s`: expected seconds (0 to 86400)", s);
  *out = (int) v;
  return 0;
}

static int
stop_or_restart (const struct cli_command *cmd, int argc, char **argv, bool restart,
                 mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *names = NULL;
  struct stop_opts o = { .timeout = MC_STOP_TIMEOUT_DEFAULT, .restart = restart };
  const char *const *t;
  json_t *n;
  size_t i;

  CLI_PARSE (cmd, argc, argv, &a, err);
  o.force = cli_has (&a, "force");
  for (t = cli_values (&a, "timeout", NULL); *t; t++)
    if (parse_timeout (*t, &o.timeout, err) < 0)
      return -1;
  if (a.remote)
    return remote_names (cmd, &a, argc, argv, restart ? "restart" : "stop", o.force,
                         cli_has (&a, "timeout") ? o.timeout : -1, err);
  if ((names = target_names (cmd, &a, argc, argv, ALL_ACTIVE, err)) == NULL
      || (restart && cli_seal_if_privileged (names, NULL, err) < 0))
    return -1;
  json_array_foreach (names, i, n)
    if (cli_with_lock (json_string_value (n), do_stop, &o, err) < 0)
      return -1;
  return 0;
}

static int
cmd_stop (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return stop_or_restart (cmd, argc, argv, false, err);
}

static int
cmd_restart (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  return stop_or_restart (cmd, argc, argv, true, err);
}

/* ---- list / info ---------------------------------------------------------- */

/* ---- LXD's list filters (lxc/list.go shouldShow) ------------------------- */

/* "user.r" matches "user.role": as many dot-separated parts, each a prefix. */
static bool
dot_prefix_match (const char *short_key, const char *full)
{
  while (*short_key || *full)
    {
      size_t ls = strcspn (short_key, "."), lf = strcspn (full, ".");

      if (ls > lf || strncmp (short_key, full, ls) != 0)
        return false;
      short_key += ls;
      full += lf;
      if ((*short_key == '.') != (*full == '.'))
        return false;
      if (*short_key == '.')
        short_key++, full++;
    }
  return true;
}

/* PATTERN as a whole-string extended regex (anchored unless it has ^ or
 * $); *VALID false when it does not compile.  */
static bool
regex_matches (const char *pattern, const char *s, bool *valid)
{
  cleanup_free char *anchored = strpbrk (pattern, "^$") ? xstrdup (pattern) : xasprintf ("^%s$", pattern);
  regex_t re;
  bool hit;

  *valid = regcomp (&re, anchored, REG_EXTENDED | REG_NOSUB) == 0;
  if (!*valid)
    return false;
  hit = regexec (&re, s, 0, NULL, 0) == 0;
  regfree (&re);
  return hit;
}

/* ipv4=/ipv6=: an address of the container's, or a subnet holding one.  */
static bool
address_matches (json_t *c, const char *family, const char *query)
{
  int af = strcmp (family, "inet") == 0 ? AF_INET : AF_INET6;
  cleanup_free char *net = xstrdup (query);
  unsigned char want[16], have[16];
  char *slash = strchr (net, '/');
  long prefix = -1;
  json_t *iface, *a;
  const char *ifname;
  size_t i;

  if (slash)
    {
      *slash = '\0';
      prefix = strtol (slash + 1, NULL, 10);
    }
  if (inet_pton (af, net, want) != 1)
    return false;
  json_object_foreach (json_object_get (json_object_get (c, "state"), "network"), ifname, iface)
    json_array_foreach (json_object_get (iface, "addresses"), i, a)
    {
      const char *addr = json_string_value (json_object_get (a, "address"));
      long bits = prefix < 0 ? (af == AF_INET ? 32 : 128) : prefix, b;

      if (!json_is_string (json_object_get (a, "family"))
          || strcmp (json_string_value (json_object_get (a, "family")), family) != 0 || addr == NULL
          || inet_pton (af, addr, have) != 1)
        continue;
      for (b = 0; b < bits; b++)
        if (((want[b / 8] ^ have[b / 8]) >> (7 - b % 8)) & 1)
          break;
      if (b == bits)
        return true;
    }
  return false;
}

/* status, type, architecture, location, ipv4, ipv6: any of the
 * comma-separated VALUE, case-insensitive.  *KNOWN false for another key. */
static bool
shorthand_matches (json_t *c, const char *key, const char *value, bool *known)
{
  static const char *const keys[] = { "status", "type", "architecture", "location", "ipv4", "ipv6" };
  cleanup_free char *values = xstrdup (value);
  char *save = NULL, *v;
  size_t k;

  for (k = 0; k < sizeof (keys) / sizeof (keys[0]) && strcasecmp (key, keys[k]) != 0; k++)
    ;
  *known = k < sizeof (keys) / sizeof (keys[0]);
  if (!*known)
    return false;
  for (v = strtok_r (values, ",", &save); v; v = strtok_r (NULL, ",", &save))
    {
      const char *have = k == 3 ? "none" : json_string_value (json_object_get (c, keys[k]));

      if (k >= 4 ? address_matches (c, k == 4 ? "inet" : "inet6", v) : (have && strcasecmp (have, v) == 0))
        return true;
    }
  return false;
}

static bool
filter_matches (json_t *c, const char *name, const char *filter)
{
  const char *eq = strchr (filter, '=');
  bool valid, known;

  if (eq == NULL)
    return regex_matches (filter, name, &valid) || mc_str_has_prefix (name, filter);
  {
    cleanup_free char *key = xstrndup (filter, (size_t) (eq - filter));
    const char *value = eq + 1, *k, *own;
    json_t *config = json_object_get (c, "expanded_config"), *v;

    if (shorthand_matches (c, key, value, &known))
      return true;
    json_object_foreach (config, k, v)
      if (json_is_string (v) && dot_prefix_match (key, k))
        {
          if (regex_matches (value, json_string_value (v), &valid))
            return true;
          if (!valid)
            return strcmp (value, json_string_value (v)) == 0;
        }
    own = json_string_value (json_object_get (config, key));
    return strcmp (own ? own : "", value) == 0;
  }
}

/* The containers that pass every filter (LXD: they add up), with their
 * info.  */
static json_t *
collect (struct mc_store *s, char **filters, int nfilters, unsigned what, mc_error_t *err)
{
  cleanup_json json_t *names = mc_container_names (s, err), *out = NULL;
  json_t *n;
  size_t i;
  int f;

  if (names == NULL)
    return NULL;
  /* Filters on keys may look at anything.  */
  for (f = 0; f < nfilters; f++)
    if (strchr (filters[f], '='))
      what = MC_INFO_ALL;
  out = json_array ();
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);
      cleanup_json json_t *info = NULL;
      bool hit = true;

      /* Name filters first: they need no info.  */
      for (f = 0; f < nfilters && hit; f++)
        if (strchr (filters[f], '=') == NULL)
          hit = filter_matches (NULL, name, filters[f]);
      if (!hit)
        continue;
      if ((info = mc_container_info_some (s, name, what, err)) == NULL)
        return NULL;
      for (f = 0; f < nfilters && hit; f++)
        if (strchr (filters[f], '='))
          hit = filter_matches (info, name, filters[f]);
      if (hit)
        json_array_append (out, info);
    }
  return steal_pointer (&out);
}

/* The remote's instances (as LXD's `recursion=2` gives them, the shape
 * of mc_container_info's) that FILTERS select.  */
static json_t *
remote_collect (const char *remote, char **filters, int nfilters, mc_error_t *err)
{
  cleanup_json json_t *all = cli_remote_list (remote, "/1.0/instances?recursion=2", err);
  json_t *out, *info;
  size_t i;
  int f;

  if (all == NULL)
    return NULL;
  out = json_array ();
  json_array_foreach (all, i, info)
    {
      const char *name = json_string_value (json_object_get (info, "name"));
      bool hit = name != NULL;

      for (f = 0; f < nfilters && hit; f++)
        hit = filter_matches (strchr (filters[f], '=') ? info : NULL, name, filters[f]);
      if (hit)
        json_array_append (out, info);
    }
  return out;
}

/* LXD's IPV4 and IPV6 columns: "10.1.2.3 (eth0)" for each global address
 * of FAMILY (inet, inet6) but loopback's.  */
static char *
addr_column (json_t *c, const char *family)
{
  json_t *net = json_object_get (json_object_get (c, "state"), "network"), *iface, *a;
  const char *ifname;
  char *out = xstrdup ("");
  size_t i;

  json_object_foreach (net, ifname, iface)
    {
      if (strcmp (json_string_value (json_object_get (iface, "type")) ?: "", "loopback") == 0)
        continue;
      json_array_foreach (json_object_get (iface, "addresses"), i, a)
        {
          char *more;

          if (strcmp (json_string_value (json_object_get (a, "family")) ?: "", family) != 0
              || strcmp (json_string_value (json_object_get (a, "scope")) ?: "", "global") != 0)
            continue;
          more = xasprintf ("%s%s%s (%s)", out, *out ? ", " : "", json_string_value (json_object_get (a, "address")),
                            ifname);
          free (out);
          out = more;
        }
    }
  return out;
}

/* ---- list columns (LXD's -c) ----------------------------------------------- */

static char *
upper_status (json_t *c)
{
  char *out = xstrdup (json_string_value (json_object_get (c, "status")) ?: "");
  char *p;

  for (p = out; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char) (*p - 32);
  return out;
}

/* LXD's dates in tables: 2026/12/05 09:32 UTC; empty for never.  */
static char *
date_column (json_t *c, const char *field)
{
  const char *iso = json_string_value (json_object_get (c, field));
  struct tm tm;
  char buf[64];

  memset (&tm, 0, sizeof (tm));
  if (iso == NULL || strptime (iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL || tm.tm_year < 70)
    return xstrdup ("");
  strftime (buf, sizeof (buf), "%Y/%m/%d %H:%M UTC", &tm);
  return xstrdup (buf);
}

static char *
size_column (json_t *v)
{
  char buf[32];

  if (!json_is_integer (v))
    return xstrdup ("");
  mc_format_size ((uint64_t) json_integer_value (v), buf, sizeof (buf));
  return xstrdup (buf);
}

static char *
memory_percent (json_t *c)
{
  json_t *usage = json_object_get (json_object_get (json_object_get (c, "state"), "memory"), "usage");
  const char *limit = json_string_value (json_object_get (json_object_get (c, "expanded_config"), "limits.memory"));
  mc_error_t e = NULL;
  uint64_t max;

  if (!json_is_integer (usage) || limit == NULL || strchr (limit, '%'))
    return xstrdup ("");
  if (mc_parse_size (limit, &max, &e) < 0 || max == 0)
    {
      mc_error_release (&e);
      return xstrdup ("");
    }
  return xasprintf ("%.2f%%", 100.0 * (double) json_integer_value (usage) / (double) max);
}

/* The cell of column LETTER (or, with KEY, config key KEY cut to WIDTH
 * bytes when WIDTH > 0) for container C.  */
static char *
column_cell (json_t *c, char letter, const char *key, long width)
{
  json_t *state = json_object_get (c, "state"), *v;
  const char *fp;
  size_t i;

  if (key)
    {
      const char *val = json_string_value (json_object_get (json_object_get (c, "expanded_config"), key));

      return width > 0 && val ? xstrndup (val, (size_t) width) : xstrdup (val ? val : "");
    }
  switch (letter)
    {
    case 'n': return xstrdup (json_string_value (json_object_get (c, "name")));
    case 's': return upper_status (c);
    case '4': return addr_column (c, "inet");
    case '6': return addr_column (c, "inet6");
    case 't':
      return xstrdup (json_is_true (json_object_get (c, "ephemeral")) ? "CONTAINER (EPHEMERAL)" : "CONTAINER");
    case 'S': return xasprintf ("%zu", json_array_size (json_object_get (c, "snapshots")));
    case 'a': return xstrdup (json_string_value (json_object_get (c, "architecture")) ?: "");
    case 'c': return date_column (c, "created_at");
    case 'l': return date_column (c, "last_used_at");
    case 'd': return xstrdup (json_string_value (json_object_get (c, "description")) ?: "");
    case 'p':
      v = json_object_get (state, "pid");
      return json_integer_value (v) > 0 ? xasprintf ("%lld", (long long) json_integer_value (v)) : xstrdup ("0");
    case 'P':
      {
        char *out = xstrdup ("");

        json_array_foreach (json_object_get (c, "profiles"), i, v)
          {
            char *more = xasprintf ("%s%s%s", out, i ? ", " : "", json_string_value (v));

            free (out);
            out = more;
          }
        return out;
      }
    case 'b':
      json_object_foreach (json_object_get (c, "expanded_devices"), fp, v)
        if (json_string_value (json_object_get (v, "pool")) && json_string_value (json_object_get (v, "path"))
            && strcmp (json_string_value (json_object_get (v, "path")), "/") == 0)
          return xstrdup (json_string_value (json_object_get (v, "pool")));
      return xstrdup ("");
    case 'm': return size_column (json_object_get (json_object_get (state, "memory"), "usage"));
    case 'M': return memory_percent (c);
    case 'u':
      v = json_object_get (json_object_get (state, "cpu"), "usage");
      return json_is_integer (v) ? xasprintf ("%llds", (long long) (json_integer_value (v) / 1000000000)) : xstrdup ("");
    case 'N':
      v = json_object_get (state, "processes");
      return json_is_integer (v) ? xasprintf ("%lld", (long long) json_integer_value (v)) : xstrdup ("");
    case 'D': return size_column (json_object_get (json_object_get (json_object_get (c, "layers"), "container"), "size"));
    case 'L': return xstrdup ("none");
    case 'e': return xstrdup ("default");
    case 'f':
    case 'F':
      fp = json_string_value (json_object_get (json_object_get (c, "expanded_config"), "volatile.base_image"));
      return fp ? xstrndup (fp, letter == 'f' ? 12 : strlen (fp)) : xstrdup ("");
    default: return xstrdup ("");
    }
}

static const struct
{
  char letter;
  const char *header;
} list_columns[] = {
  { 'n', "NAME" }, { 's', "STATE" }, { '4', "IPV4" }, { '6', "IPV6" }, { 't', "TYPE" }, { 'S', "SNAPSHOTS" },
  { 'a', "ARCHITECTURE" }, { 'c', "CREATED AT" }, { 'l', "LAST USED AT" }, { 'd', "DESCRIPTION" },
  { 'p', "PID" }, { 'P', "PROFILES" }, { 'b', "STORAGE POOL" }, { 'm', "MEMORY USAGE" },
  { 'M', "MEMORY USAGE%" }, { 'u', "CPU USAGE" }, { 'N', "PROCESSES" }, { 'D', "DISK USAGE" },
  { 'L', "LOCATION" }, { 'e', "PROJECT" }, { 'f', "BASE IMAGE" }, { 'F', "BASE IMAGE" },
};

#define N_LIST_COLUMNS (sizeof (list_columns) / sizeof (list_columns[0]))

struct column
{
  char letter;         /* or 0 for a config key column */
  char *key;           /* the config key */
  long width;          /* > 0: cut to this many bytes */
  char *header;
};

static void
columns_free (struct column *cols, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (cols[i].key);
      free (cols[i].header);
    }
  free (cols);
}

/* LXD's -c: comma-separated entries, each a run of column letters or, when
 * it holds a dot, a config key column KEY[:NAME[:MAXWIDTH]] (MAXWIDTH 0:
 * NAME's width; -1: no limit).  */
static int
parse_columns (const char *spec, struct column **out, size_t *n, mc_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  struct column *cols = NULL;
  char *entry = copy, *next;
  size_t count = 0, k;

  for (;; entry = next + 1)
    {
      next = strchr (entry, ',');
      if (next)
        *next = '\0';
      if (*entry == '\0')
        {
          columns_free (cols, count);
          return mc_make_usage_error (err, "-c `%s`: an empty column entry (a stray comma)", spec);
        }
      if (strchr (entry, '.') == NULL)
        for (; *entry; entry++)
          {
            for (k = 0; k < N_LIST_COLUMNS && list_columns[k].letter != *entry; k++)
              ;
            if (k == N_LIST_COLUMNS)
              {
                columns_free (cols, count);
                return mc_make_usage_error (err, "-c `%s`: unknown column `%c` (minictr list --help lists them)",
                                            spec, *entry);
              }
            cols = xrealloc (cols, sizeof (*cols) * (count + 1));
            cols[count++] = (struct column) { *entry, NULL, 0, xstrdup (list_columns[k].header) };
          }
      else
        {
          char *name = strchr (entry, ':'), *width = name ? strchr (name + 1, ':') : NULL, *end;
          long w = -1;

          if (name)
            *name++ = '\0';
          if (width)
            *width++ = '\0';
          if (width && strchr (width, ':'))
            {
              columns_free (cols, count);
              return mc_make_usage_error (err, "-c `%s`: a config key column is KEY[:NAME[:MAXWIDTH]]", spec);
            }
          if (width)
            {
              errno = 0;
              w = strtol (width, &end, 10);
              if (*width == '\0' || *end || errno || w < -1)
                {
                  columns_free (cols, count);
                  return mc_make_usage_error (err, "-c `%s`: invalid max width `%s` (-1, 0 or a positive number)",
                                              spec, width);
                }
            }
          if (name && *name == '\0' && width == NULL)
            {
              columns_free (cols, count);
              return mc_make_usage_error (err, "-c `%s`: an empty column name needs a max width", spec);
            }
          cols = xrealloc (cols, sizeof (*cols) * (count + 1));
          cols[count] = (struct column) { 0, xstrdup (entry), w, xstrdup (name ? name : entry) };
          if (w == 0)
            cols[count].width = (long) strlen (cols[count].header);
          count++;
        }
      if (next == NULL)
        break;
    }
  *out = cols;
  *n = count;
  return 0;
}

/* What of each container's info the output shows beyond its files: JSON
 * and YAML show all of it, a table what its columns need.  */
static unsigned
list_needs (enum cli_format fmt, const struct column *cols, size_t n)
{
  unsigned what = 0;
  size_t i;

  if (fmt == CLI_FORMAT_JSON || fmt == CLI_FORMAT_YAML)
    return MC_INFO_ALL;
  for (i = 0; i < n; i++)
    switch (cols[i].letter)
      {
      case '4':
      case '6': what |= MC_INFO_NETWORK; break;
      case 'm':
      case 'M':
      case 'u':
      case 'N': what |= MC_INFO_USAGE; break;
      case 'D': what |= MC_INFO_SIZES; break;
      default: break;
      }
  return what;
}

static void
add_list_row (struct cli_table *t, json_t *c, const struct column *cols, size_t n)
{
  char **row = xmalloc0 (sizeof (char *) * n);
  size_t i;

  for (i = 0; i < n; i++)
    row[i] = column_cell (c, cols[i].letter, cols[i].key, cols[i].width);
  cli_table_add (t, (const char *const *) row);
  for (i = 0; i < n; i++)
    free (row[i]);
  free (row);
}

static int
cmd_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  cleanup_free const char **headers = NULL;
  const char *spec = "ns46tS";
  struct column *cols = NULL;
  struct mc_store store;
  struct cli_table t;
  size_t i, ncols = 0;
  json_t *all, *c;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if (cli_has (&a, "fast") && cli_has (&a, "columns"))
    return mc_make_usage_error (err, "list: --fast and -c exclude each other (--fast is -c nsacPt)");
  if (cli_has (&a, "fast"))
    spec = "nsacPt";
  if (cli_has (&a, "columns"))
    spec = cli_value (&a, "columns");
  if (parse_columns (spec, &cols, &ncols, err) < 0)
    return -1;
  if (a.remote)
    all = remote_collect (a.remote, argv + optind, argc - optind, err);
  else if (mc_store_open (&store, err) < 0)
    {
      columns_free (cols, ncols);
      return -1;
    }
  else
    {
      /* Nothing changes during a list: the profiles, image records and
       * cgroup mounts are read once, not once per container.  */
      mc_store_cache_begin (&store);
      mc_cgroup_hold ();
      all = collect (&store, argv + optind, argc - optind, list_needs (fmt, cols, ncols), err);
      mc_cgroup_release ();
      mc_store_close (&store);
    }
  if (all == NULL)
    {
      columns_free (cols, ncols);
      return -1;
    }
  headers = xmalloc0 (sizeof (char *) * ncols);
  for (i = 0; i < ncols; i++)
    headers[i] = cols[i].header;
  cli_table_init (&t, headers, ncols);
  json_array_foreach (all, i, c)
    add_list_row (&t, c, cols, ncols);
  ret = cli_print (fmt, &t, all, err);
  cli_table_release (&t);
  json_decref (all);
  columns_free (cols, ncols);
  return ret;
}

static void
print_time (const char *label, const char *iso)
{
  struct tm tm;
  char buf[64];

  memset (&tm, 0, sizeof (tm));
  if (iso == NULL || strptime (iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL || tm.tm_year < 70)
    {
      printf ("%s: never\n", label);
      return;
    }
  strftime (buf, sizeof (buf), "%Y/%m/%d %H:%M UTC", &tm);
  printf ("%s: %s\n", label, buf);
}

/* A figure, or "unavailable" with the reason minictr gave for WHAT.  */
static void
print_figure (json_t *state, const char *label, const char *what, const char *value)
{
  json_t *why = json_object_get (state, "unavailable"), *w;
  size_t i;

  if (value)
    {
      printf ("%s: %s\n", label, value);
      return;
    }
  json_array_foreach (why, i, w)
    if (mc_str_has_prefix (json_string_value (w), what) || mc_str_has_prefix (json_string_value (w), "cgroup:"))
      {
        printf ("%s: unavailable (%s)\n", label, json_string_value (w));
        return;
      }
  printf ("%s: unavailable\n", label);
}

static void
print_resources (json_t *state)
{
  json_t *m = json_object_get (state, "memory"), *p = json_object_get (state, "processes");
  json_t *cpu = json_object_get (json_object_get (state, "cpu"), "usage");
  char mem[32], peak[32], procs[32], secs[32];

  mc_format_size ((uint64_t) json_integer_value (json_object_get (m, "usage")), mem, sizeof (mem));
  mc_format_size ((uint64_t) json_integer_value (json_object_get (m, "usage_peak")), peak, sizeof (peak));
  snprintf (procs, sizeof (procs), "%lld", (long long) json_integer_value (p));
  snprintf (secs, sizeof (secs), "%lld", (long long) (json_integer_value (cpu) / 1000000000));
  printf ("\nResources:\n");
  print_figure (state, "  Processes", "pids", p ? procs : NULL);
  printf ("  CPU usage:\n");
  print_figure (state, "    CPU usage (in seconds)", "cpuacct", cpu ? secs : NULL);
  printf ("  Memory usage:\n");
  print_figure (state, "    Memory (current)", "memory", m ? mem : NULL);
  print_figure (state, "    Memory (peak)", "memory", m ? peak : NULL);
}

static void
print_layers (json_t *layers)
{
  json_t *img = json_object_get (layers, "image"), *ctr = json_object_get (layers, "container");
  json_t *alias = json_array_get (json_object_get (img, "aliases"), 0);
  char size[32];

  mc_format_size ((uint64_t) json_integer_value (json_object_get (ctr, "size")), size, sizeof (size));
  json_t *snaps = json_object_get (layers, "snapshots"), *v;
  size_t i;

  printf ("\nLayers:\n  image: %s%s%s%s\n  container: %s (%s)\n",
          json_string_value (json_object_get (img, "fingerprint")), alias ? " (" : "",
          alias ? json_string_value (json_object_get (alias, "name")) : "", alias ? ")" : "",
          json_string_value (json_object_get (ctr, "path")), size);
  if (json_array_size (snaps) == 0)
    printf ("  snapshots: none\n");
  json_array_foreach (snaps, i, v)
    {
      mc_format_size ((uint64_t) json_integer_value (json_object_get (v, "size")), size, sizeof (size));
      printf ("  snapshot %s: %s (%s, taken %s)\n", json_string_value (json_object_get (v, "name")),
              json_string_value (json_object_get (v, "path")), size,
              json_string_value (json_object_get (v, "created_at")));
    }
}

/* LXD's "Network usage" of `info`.  */
static void
print_network (json_t *state)
{
  json_t *net = json_object_get (state, "network"), *iface, *a, *ctr;
  const char *ifname;
  size_t i;

  if (json_object_size (net) == 0)
    return;
  printf ("  Network usage:\n");
  json_object_foreach (net, ifname, iface)
    {
      const char *host = json_string_value (json_object_get (iface, "host_name"));

      ctr = json_object_get (iface, "counters");
      printf ("    %s:\n      Type: %s\n      State: %s\n", ifname,
              json_string_value (json_object_get (iface, "type")),
              strcmp (json_string_value (json_object_get (iface, "state")) ?: "", "up") == 0 ? "UP" : "DOWN");
      if (host && *host)
        printf ("      Host interface: %s\n", host);
      if (*(json_string_value (json_object_get (iface, "hwaddr")) ?: ""))
        printf ("      MAC address: %s\n", json_string_value (json_object_get (iface, "hwaddr")));
      printf ("      MTU: %lld\n      Bytes received: %lld\n      Bytes sent: %lld\n"
              "      Packets received: %lld\n      Packets sent: %lld\n      IP addresses:\n",
              (long long) json_integer_value (json_object_get (iface, "mtu")),
              (long long) json_integer_value (json_object_get (ctr, "bytes_received")),
              (long long) json_integer_value (json_object_get (ctr, "bytes_sent")),
              (long long) json_integer_value (json_object_get (ctr, "packets_received")),
              (long long) json_integer_value (json_object_get (ctr, "packets_sent")));
      json_array_foreach (json_object_get (iface, "addresses"), i, a)
        printf ("        %-6s %s/%s (%s)\n", json_string_value (json_object_get (a, "family")),
                json_string_value (json_object_get (a, "address")), json_string_value (json_object_get (a, "netmask")),
                json_string_value (json_object_get (a, "scope")));
    }
}

static void
print_info (json_t *c)
{
  json_t *state = json_object_get (c, "state");
  const char *status = json_string_value (json_object_get (c, "status"));

  printf ("Name: %s\nStatus: %s\nType: container%s\nArchitecture: %s\n",
          json_string_value (json_object_get (c, "name")), status,
          json_is_true (json_object_get (c, "ephemeral")) ? " (ephemeral)" : "",
          json_string_value (json_object_get (c, "architecture")));
  if (strcmp (status, "Stopped") != 0)
    printf ("PID: %lld\n", (long long) json_integer_value (json_object_get (state, "pid")));
  print_time ("Created", json_string_value (json_object_get (c, "created_at")));
  print_time ("Last Used", json_string_value (json_object_get (c, "last_used_at")));
  if (json_is_object (json_object_get (c, "last_exit")))
    printf ("Last exit: %s at %s\n",
            json_string_value (json_object_get (json_object_get (c, "last_exit"), "exit")),
            json_string_value (json_object_get (json_object_get (c, "last_exit"), "at")));
  if (strcmp (status, "Stopped") != 0)
    {
      print_resources (state);
      print_network (state);
    }
  print_layers (json_object_get (c, "layers"));
}

/* `info` on a remote: the server's (GET /1.0) or an instance's, as the
 * API has them; its console log with --show-log.  */
static int
remote_info (const struct cli_args *a, const char *name, mc_error_t *err)
{
  cleanup_free char *enc = name ? cli_url_segment (name) : NULL;
  cleanup_free char *path = NULL;
  cleanup_json json_t *doc = NULL;

  if (cli_has (a, "resources"))
    return mc_make_usage_error (err, "info --resources on a remote: not supported there");
  if (name == NULL)
    {
      cleanup_json json_t *server = cli_remote_get (a->remote, "/1.0", err);

      if (server == NULL)
        return -1;
      doc = json_pack ("{s:O}", "environment", json_object_get (server, "environment"));
      return cli_print_yaml (doc, err);
    }
  path = xasprintf ("/1.0/instances/%s?recursion=1", enc);
  if ((doc = cli_remote_get (a->remote, path, err)) == NULL)
    return -1;
  print_info (doc);
  if (cli_has (a, "show-log"))
    {
      cleanup_free char *log = xasprintf ("/1.0/instances/%s/logs/lxc.log", enc);
      struct mc_client_xfer x = { .in_fd = -1, .out_fd = STDOUT_FILENO };
      struct mc_client cl;
      int r;

      printf ("\nLog:\n\n");
      fflush (stdout);
      if (cli_remote_client_open (a->remote, &cl, err) < 0)
        return -1;
      r = mc_client_xfer (&cl, "GET", log, &x, err);
      mc_client_release (&cl);
      /* A log comes as bytes (not as a file, which would be written as
         it came).  */
      if (r == 0 && x.data && mc_write_all (STDOUT_FILENO, x.data, x.len) < 0)
        r = mc_make_error (err, errno, "write the log");
      free (x.data);
      return r;
    }
  return 0;
}

static int
cmd_info (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store store;
  json_t *c;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    return remote_info (&a, optind < argc ? argv[optind] : NULL, err);
  if (mc_store_open (&store, err) < 0)
    return -1;
  if (cli_has (&a, "resources"))
    {
      cleanup_json json_t *res = NULL, *doc = NULL;

      if (optind < argc)
        {
          mc_store_close (&store);
          return mc_make_usage_error (err, "info --resources: the host's resources (give no NAME)");
        }
      res = mc_host_resources (&store, err);
      mc_store_close (&store);
      if (res == NULL)
        return -1;
      doc = json_pack ("{s:O}", "resources", res);
      return cli_print_yaml (doc, err);
    }
  /* No name: the host, as LXD's `lxc info` prints its server.  */
  if (optind == argc)
    {
      cleanup_json json_t *env = mc_host_info (&store, err);
      int r = -1;

      mc_store_close (&store);
      if (env)
        {
          cleanup_json json_t *doc = json_pack ("{s:O}", "environment", env);

          json_object_set_new (env, "server", json_string ("minictr"));
          json_object_set_new (env, "server_version", json_string (MINICTR_VERSION));
          r = cli_print_yaml (doc, err);
        }
      return r;
    }
  c = mc_container_info (&store, argv[optind], err);
  if (c == NULL)
    {
      mc_store_close (&store);
      return -1;
    }
  print_info (c);
  json_decref (c);
  /* LXD's `info --show-log`: the console log follows.  */
  if (cli_has (&a, "show-log"))
    {
      int r;

      printf ("\nLog:\n\n");
      fflush (stdout);
      r = mc_console_show_log (&store, argv[optind], STDOUT_FILENO, err);
      mc_store_close (&store);
      return r;
    }
  mc_store_close (&store);
  return 0;
}

/* console on a remote: LXD's console websocket, or its log (GET).  */
static int
remote_console (const char *remote, const char *name, bool show_log, mc_error_t *err)
{
  cleanup_free char *enc = cli_url_segment (name), *log = xasprintf ("/1.0/instances/%s/console", enc);
  struct mc_client_xfer x = { .in_fd = -1, .out_fd = -1 };
  struct mc_client cl;
  int r;

  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  fflush (stdout);
  if (show_log)
    {
      r = mc_client_xfer (&cl, "GET", log, &x, err);
      if (r == 0 && x.data && mc_write_all (STDOUT_FILENO, x.data, x.len) < 0)
        r = mc_make_error (err, errno, "write the log");
      free (x.data);
    }
  else
    {
      fprintf (stderr, "To detach from the console, press: <ctrl>+a q\n");
      r = mc_client_console (&cl, enc, err);
    }
  mc_client_release (&cl);
  return r;
}

static int
cmd_console (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store store;
  bool show_log;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "type") && strcmp (cli_value (&a, "type"), "console") != 0)
    return mc_make_usage_error (err, "console --type %s: minictr containers have a text console only (console)",
                                cli_value (&a, "type"));
  show_log = cli_has (&a, "show-log");
  if (a.remote)
    return remote_console (a.remote, argv[optind], show_log, err);
  if (mc_store_open (&store, err) < 0)
    return -1;
  fflush (stdout);
  ret = show_log ? mc_console_show_log (&store, argv[optind], STDOUT_FILENO, err)
                 : (mc_container_open_dir (&store, argv[optind], err) < 0 ? -1
                    : mc_console_attach (argv[optind], err));
  mc_store_close (&store);
  return ret;
}

/* ---- exec -------------------------------------------------------------------- */

struct exec_opts
{
  struct mc_exec_request req;
  int mode; /* 0 auto, 1 interactive, 2 non-interactive */
};

static int
parse_id (const char *s, const char *what, unsigned *out, mc_error_t *err)
{
  char *end;
  unsigned long v = strtoul (s, &end, 10);

  if (*s == '\0' || *end != '\0' || v > 0xfffffffeUL)
    return mc_make_usage_error (err, "invalid %s `%s`: expected a number", what, s);
  *out = (unsigned) v;
  return 0;
}

/* The exec flags in ARGS into O; -t, -T and --mode exclude each other
 * (LXD's client refuses -t with -T too).  */
static int
exec_options (struct exec_opts *o, const struct cli_args *a, mc_error_t *err)
{
  const char *const *v;
  const char *mode = cli_value (a, "mode");
  unsigned id = 0;

  for (v = cli_values (a, "env", NULL); *v; v++)
    if (strchr (*v, '=') == NULL)
      return mc_make_usage_error (err, "invalid --env `%s`: expected KEY=VALUE", *v);
  o->req.env = cli_values (a, "env", &o->req.n_env);
  o->req.cwd = cli_value (a, "cwd");
  for (v = cli_values (a, "user", NULL); *v; v++)
    if (parse_id (*v, "--user", &id, err) < 0)
      return -1;
    else
      o->req.uid = id;
  for (v = cli_values (a, "group", NULL); *v; v++)
    if (parse_id (*v, "--group", &id, err) < 0)
      return -1;
    else
      o->req.gid = id;
  if ((cli_has (a, "force-interactive") + cli_has (a, "force-noninteractive") + (mode != NULL)) > 1)
    return mc_make_usage_error (err, "exec: -t, -T and --mode exclude each other");
  if (mode && strcmp (mode, "auto") && strcmp (mode, "interactive") && strcmp (mode, "non-interactive"))
    return mc_make_usage_error (err, "invalid --mode `%s` (use auto, interactive or non-interactive)", mode);
  o->mode = cli_has (a, "force-interactive") ? 1 : cli_has (a, "force-noninteractive") ? 2
            : mode == NULL || mode[0] == 'a' ? 0 : mode[0] == 'i' ? 1 : 2;
  return 0;
}

static int
cmd_exec (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct exec_opts o = { 0 };
  struct mc_store store;
  int status = 0, ret, dd;

  /* Flags may sit anywhere before `--` (LXD's `exec c --env K=V -- cmd`);
   * without `--` they stop at the first word after the name.  */
  for (dd = 1; dd < argc && strcmp (argv[dd], "--") != 0; dd++)
    ;
  ret = cli_parse_how (cmd, dd, argv, dd >= argc, &a, err);
  if (ret != 0)
    return ret < 0 ? -1 : 0;
  if (exec_options (&o, &a, err) < 0)
    return -1;
  /* -n: the command's stdin ends at once, as from /dev/null (LXD's).  */
  o.req.no_stdin = cli_has (&a, "disable-stdin");
  if (optind >= dd && dd < argc)
    return mc_make_usage_error (err, "exec: the container name comes before `--`");
  if (optind >= argc)
    return mc_make_usage_error (err, "exec: wrong number of arguments (usage: minictr %s)", cmd->usage);
  o.req.name = argv[optind];
  if (dd < argc && optind + 1 != dd)
    return mc_make_usage_error (err, "exec: unexpected `%s` before `--`", argv[optind + 1]);
  o.req.argv = dd < argc ? argv + dd + 1 : argv + optind + 1;
  if (o.req.argv[0] == NULL)
    return mc_make_usage_error (err, "exec: no command given (usage: minictr %s)", cmd->usage);
  o.req.pty = o.mode == 1 || (o.mode == 0 && !o.req.no_stdin && isatty (STDIN_FILENO) && isatty (STDOUT_FILENO));
  if (a.remote)
    {
      /* On a remote: LXD's exec, its streams as websockets.  */
      if (cli_remote_exec (a.remote, &o.req, &status, err) < 0)
        return -1;
      fflush (stdout);
      exit (status);
    }
  if (mc_store_open (&store, err) < 0)
    return -1;
  /* Its config, loaded once: a privileged container's command runs from
   * a sealed copy of the binary (lib/selfexe.h), and the runtime takes
   * the config as it is (a missing container is its error to tell).  */
  {
    mc_error_t e = NULL;

    if ((o.req.config = mc_container_config_expanded (&store, o.req.name, &e)) == NULL)
      mc_error_release (&e);
    else if (mc_config_get_bool (o.req.config, "security.privileged", false) && mc_selfexe_ensure_sealed (err) < 0)
      {
        json_decref (o.req.config);
        mc_store_close (&store);
        return -1;
      }
  }
  ret = mc_container_exec (&store, &o.req, &status, err);
  json_decref (o.req.config);
  mc_store_close (&store);
  if (ret < 0)
    return -1;
  fflush (stdout);
  /* The command's status is ours, as with `lxc exec`.  */
  exit (status);
}

static const struct cli_flag create_flags[] = {
  { "ephemeral", 'e', false }, { "profile", 'p', true }, { "config", 'c', true }, { "no-profiles", 0, false },
  { "device", 'd', true }, { "empty", 0, false }, { "network", 'n', true }, { "storage", 's', true },
  { "vm", 0, false }, { "type", 't', true }, { "console", 0, false }, { NULL, 0, false }
};
static const struct cli_flag stop_flags[] = {
  { "force", 'f', false }, { "timeout", 't', true }, { "all", 0, false }, { NULL, 0, false }
};
static const struct cli_flag serve_flags[] = { { "socket", 0, true }, { NULL, 0, false } };
static const struct cli_flag start_flags[] = { { "all", 0, false }, { "console", 0, false }, { NULL, 0, false } };
static const struct cli_flag all_flags[] = { { "all", 0, false }, { NULL, 0, false } };
static const struct cli_flag force_flags[] = { { "force", 'f', false }, { NULL, 0, false } };
static const struct cli_flag delete_flags[] = {
  { "force", 'f', false }, { "interactive", 'i', false }, { NULL, 0, false }
};
static const struct cli_flag snapshot_flags[] = {
  { "no-expiry", 0, false }, { "reuse", 0, false }, { "stateful", 0, false }, { "format", 'f', true },
  { NULL, 0, false }
};
/* LXD flags these commands do not take, with the reason (cli.h).  */
#define NO_CRIU "a stateful snapshot or copy needs CRIU, which minictr does not use"
static const struct cli_refused restore_refused[] = {
  { "stateful", 0, false, NO_CRIU },
  { "disk-volumes", 0, true, "minictr containers have no custom storage volumes" },
  { NULL, 0, false, NULL }
};
static const struct cli_refused copy_refused[] = {
  { "refresh", 0, false, "updating an existing copy is not supported (delete it and copy again)" },
  { "stateless", 0, false, NO_CRIU }, { "stateful", 0, false, NO_CRIU },
  { "mode", 0, true, "there are no remote servers to copy between" },
  { "storage", 's', true, "minictr keeps every container in its one store" },
  { "target-project", 0, true, "minictr has only the default project" },
  { NULL, 0, false, NULL }
};
static const struct cli_refused move_refused[] = {
  { "storage", 's', true, "minictr keeps every container in its one store" },
  { "target-project", 0, true, "minictr has only the default project" },
  { "stateless", 0, false, NO_CRIU }, { "stateful", 0, false, NO_CRIU },
  { "mode", 0, true, "there are no remote servers to move between" },
  { "instance-only", 0, false, "a rename always keeps the snapshots" },
  { NULL, 0, false, NULL }
};
static const struct cli_refused export_refused[] = {
  { "export-version", 0, true, "minictr writes one backup format (backup/index.yaml)" },
  { "compression", 0, true, "backups are gzip tarballs" },
  { "optimized-storage", 0, false, "minictr's one store has no optimized format" },
  { NULL, 0, false, NULL }
};

static const struct cli_flag list_flags[] = {
  { "format", 'f', true }, { "columns", 'c', true }, { "fast", 0, false }, { NULL, 0, false }
};
static const struct cli_flag exec_flags[] = {
  { "env", 'e', true }, { "cwd", 0, true }, { "user", 0, true }, { "group", 0, true }, { "disable-stdin", 'n', false },
  { "force-interactive", 't', false }, { "force-noninteractive", 'T', false }, { "mode", 0, true }, { NULL, 0, false }
};
static const struct cli_flag copy_flags[] = {
  { "ephemeral", 'e', false }, { "profile", 'p', true }, { "instance-only", 0, false }, { "config", 'c', true },
  { "device", 'd', true }, { "no-profiles", 0, false }, { NULL, 0, false }
};
static const struct cli_flag publish_flags[] = { { "alias", 0, true }, { "force", 'f', false }, { NULL, 0, false } };
static const struct cli_flag instance_flags[] = { { "instance-only", 0, false }, { NULL, 0, false } };
static const struct cli_flag import_flags[] = { { "allow-privileged", 0, false }, { NULL, 0, false } };
static const struct cli_flag console_flags[] = { { "show-log", 0, false }, { "type", 't', true }, { NULL, 0, false } };
static const struct cli_flag info_flags[] = { { "show-log", 0, false }, { "resources", 0, false }, { NULL, 0, false } };

#define CREATE_FLAGS_HELP                                                                              \
  "Flags:\n  -e, --ephemeral       Delete the container when it stops\n"                                  \
  "  -p, --profile P       Apply profile P (repeatable; default: default)\n"                            \
  "  -c, --config K=V      Set config key K (repeatable)\n"                                              \
  "      --no-profiles     Apply no profile at all\n"                                                  \
  "  -d, --device D,K=V    Set key K of device D (repeatable): the container's own device,\n"          \
  "                        or a profile's, copied into the container (as `config device\n"              \
  "                        override`): -d root,size=2GiB\n"                                                  \
  "      --empty           Refused: a minictr container is made from an image\n"                          \
  "  -n, --network NET     An eth0 nic on network NET (over the profiles' eth0)\n"                         \
  "  -s, --storage POOL    The root disk's pool (recorded; minictr has one store)\n"                     \
  "      --console         launch: attach to the console once it runs\n"                                 \
  "      --vm, -t TYPE     Refused: no virtual machines, no instance types\n"

const struct cli_command cli_container_commands[] = {
  { "launch", "launch", NULL, "launch IMAGE NAME [--ephemeral] [--profile P]... [-c KEY=VALUE]... [-d DEV,KEY=VALUE]... [--no-profiles] "
    "[< config.yaml] [-- COMMAND...]",
    "Create and start a container from an image\n\nWhen standard input is not a terminal it is read as YAML, as `init` does.\n"
    "For an OCI image, COMMAND replaces its Cmd (the oci.cmd key).",
    CREATE_FLAGS_HELP, cmd_launch, create_flags, 1, CLI_ANY, false, CLI_NAME0_IMAGE | CLI_NAME (1), NULL },
  { "init", "init", "create",
    "init IMAGE NAME [--ephemeral] [--profile P]... [-c KEY=VALUE]... [-d DEV,KEY=VALUE]... [--no-profiles] "
    "[< config.yaml] [-- COMMAND...]",
    "Create a container without starting it\n\nWhen standard input is not a terminal it is read as YAML (config,\n"
    "devices, profiles), as `minictr config show NAME` prints it; -c, -d and --no-profiles apply\non top.\n"
    "For an OCI image, COMMAND replaces its Cmd (the oci.cmd key).",
    CREATE_FLAGS_HELP, cmd_init, create_flags, 1, CLI_ANY, false, CLI_NAME0_IMAGE | CLI_NAME (1), NULL },
  { "start", "start", NULL, "start NAME... | --all [--console]", "Start containers (a paused one is resumed)",
    "Flags:\n      --all             Every stopped container\n"
    "      --console         Attach to the console once it runs\n", cmd_start, start_flags, 0, CLI_ANY, false,
    CLI_NAMES_ALL, NULL },
  { "stop", "stop", NULL, "stop NAME... | --all [--force] [--timeout N]", "Stop containers",
    "Flags:\n      --all             Every running container\n  -f, --force           Kill at once\n"
    "  -t, --timeout N       Seconds to wait for a clean shutdown before killing (default 30)\n", cmd_stop, stop_flags, 0, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "restart", "restart", NULL, "restart NAME... | --all [--force] [--timeout N]", "Restart containers",
    "Flags:\n      --all             Every running container\n  -f, --force           Kill at once\n"
    "  -t, --timeout N       Seconds to wait for a clean shutdown before killing (default 30)\n", cmd_restart, stop_flags, 0, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "pause", "pause", "freeze", "pause NAME... | --all", "Pause (freeze) containers",
    "Flags:\n      --all             Every running container\n", cmd_pause, all_flags, 0, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "resume", "resume", "unfreeze", "resume NAME... | --all", "Resume paused containers",
    "Flags:\n      --all             Every paused (running) container\n", cmd_resume, all_flags, 0, CLI_ANY, false,
    CLI_NAMES_ALL, NULL },
  { "delete", "delete", "rm", "delete NAME[/SNAP]... [--force]", "Delete containers (or, with /SNAP, snapshots)",
    "Flags:\n  -f, --force           Stop running containers first\n"
    "  -i, --interactive     Ask for each one first\n", cmd_delete, delete_flags, 1, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "list", "list", "ls", "list [FILTER...] [--format table|csv|json|yaml|compact] [-c COLUMNS] [--fast]",
    "List containers",
    "Filters (LXD's; all must match):\n"
    "  NAME                  a name prefix, or a regular expression for the whole name\n"
    "  KEY=VALUE             a config key (dotted parts may be abbreviated: u.role=web),\n"
    "                        VALUE a regular expression for the whole value\n"
    "  status=, type=, architecture=, location=, ipv4=, ipv6=  (VALUE,VALUE: any of them)\n\n"
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n"
    "  -c, --columns COLS    LXD's columns (default ns46tS), comma-separated runs of:\n"
    "                        n name, s state, 4 IPv4, 6 IPv6, t type, S snapshots,\n"
    "                        a architecture, c created at, l last used at, d description,\n"
    "                        p PID, P profiles, b storage pool, m memory usage,\n"
    "                        M memory usage %, u CPU usage, N processes, D disk usage,\n"
    "                        L location, e project, f base image, F its full fingerprint;\n"
    "                        or a config key column KEY[:NAME[:MAXWIDTH]] (-c n,user.role:ROLE)\n"
    "      --fast            -c nsacPt\n", cmd_list, list_flags, 0, CLI_ANY, false, CLI_NAME (0), NULL },
  { "info", "info", NULL, "info [NAME] [--show-log] [--resources]",
    "Show a container's state, resources and layers; with no NAME, the host's",
    "With no NAME: the kernel, cgroup layout, storage, state directory and the\n"
    "kernel features minictr finds (mount_setattr, cgroup.kill, pidfd), as YAML.\n\n"
    "Flags:\n      --show-log        Print the container's console log after its info\n"
    "      --resources       The host's resources (CPU, memory, storage, network cards), as YAML\n", cmd_info,
    info_flags, 0, 1,
    false, CLI_NAME (0), NULL },
  { "exec", "exec", NULL, "exec NAME [flags] [--] COMMAND [ARGS...]",
    "Run a command in a running container\n\n"
    "The exit status is the command's (128+N when killed by signal N; 127 when\n"
    "it does not exist, 126 when it cannot be run).",
    "Flags:\n      --env KEY=VALUE    Set an environment variable (repeatable)\n"
    "      --cwd DIR          Working directory (default /root)\n"
    "      --user UID         User id inside (default 0)\n"
    "      --group GID        Group id inside (default 0)\n"
    "  -n, --disable-stdin    The command's standard input is /dev/null\n"
    "  -t, --force-interactive     Allocate a terminal\n"
    "  -T, --force-noninteractive  Never allocate a terminal\n"
    "      --mode MODE        auto (default: a terminal when both ends are), interactive,\n"
    "                         non-interactive\n", cmd_exec, exec_flags, 0, CLI_ANY, false, CLI_NAME (0), NULL },
  { "snapshot", "snapshot", NULL, "snapshot [create] NAME [SNAP] | snapshot list NAME | "
    "snapshot show|delete NAME/SNAP | snapshot rename NAME/SNAP NEW",
    "Snapshot a container (its layer and config; LXD's snapN when SNAP is omitted)\n\n"
    "A running container is frozen while its layer is copied.  The cost is the\n"
    "container's own changes, never the image.  A snapshot expires as the\n"
    "container's snapshots.expiry says (`admin snapshots` deletes it then).",
    "Flags:\n      --no-expiry       Keep this snapshot until it is deleted\n"
    "      --reuse           Replace a snapshot of that name\n"
    "      --stateful        Refused (needs CRIU)\n"
    "  -f, --format FORMAT   snapshot list: table (default), csv, json, yaml or compact\n", cli_cmd_snapshot, snapshot_flags, 1, 3, false, CLI_NAMES_ALL | CLI_NAMES_FOLLOW, NULL },
  { "restore", "restore", NULL, "restore NAME SNAP",
    "Restore a container's layer and config from a snapshot\n\n"
    "A running container is stopped, restored and started again, as LXD does.",
    "Flags:\n  -f, --force           Accepted for older scripts (a running container is\n"
    "                        restarted anyway)\n", cli_cmd_restore, force_flags, 2, 2, false, CLI_NAME (0), restore_refused },
  { "copy", "copy", "cp", "copy SRC[/SNAP] DST [--ephemeral] [--profile P]... [-c KEY=VALUE]... "
    "[-d DEV,KEY=VALUE]... [--no-profiles] [--instance-only]",
    "Copy a container or a snapshot into a new, independent container",
    "Flags:\n  -e, --ephemeral       The copy is deleted when it stops\n"
    "  -p, --profile P       Profiles of the copy (repeatable; default: the source's)\n"
    "      --instance-only   Leave the source's snapshots out\n"
    "  -c, --config K=V      Set config key K of the copy (repeatable)\n"
    "  -d, --device D,K=V    Set key K of device D of the copy (repeatable; a profile's is\n"
    "                        overridden)\n"
    "      --no-profiles     The copy has no profile\n", cli_cmd_copy, copy_flags, 2, 2, false, CLI_NAME (0) | CLI_NAME (1),
    copy_refused },
  { "move", "move", "rename", "move OLD NEW", "Rename a stopped container", NULL, cli_cmd_move, NULL, 2, 2, false, CLI_NAME (0) | CLI_NAME (1),
    move_refused },
  { "publish", "publish", NULL, "publish NAME[/SNAP] [--alias A]... [--force] [KEY=VALUE...]",
    "Make an image from a container or a snapshot (LXD's unified format, its own fingerprint)",
    "Flags:\n      --alias A         Alias of the new image (repeatable)\n"
    "  -f, --force           Publish a running container (frozen while it is read)\n", cli_cmd_publish, publish_flags, 1, CLI_ANY, false, CLI_NAME (0), NULL },
  { "export", "export", NULL, "export NAME [FILE.tar.gz] [--instance-only]",
    "Back a container up into one tarball (config, layer, snapshots; default NAME.tar.gz)",
    "Flags:\n      --instance-only   Leave the snapshots out\n", cli_cmd_export, instance_flags, 1, 2, false, CLI_NAME (0),
    export_refused },
  { "import", "import", NULL, "import FILE.tar.gz [NAME] [--allow-privileged]",
    "Recreate a container from a backup made by export (its image must be in the store)",
    "A backup whose container (or a snapshot of it) is privileged, or shares the\n"
    "host's root directory as a disk device, is refused unless --allow-privileged.\n\n"
    "Flags:\n      --allow-privileged  Accept such a backup (only one you trust)\n",
    cli_cmd_import, import_flags, 1, 2, false, CLI_NAME (1), NULL },
  { "console", "console", NULL, "console NAME [--show-log]",
    "Attach to a container's console (detach with Ctrl+a q)",
    "Flags:\n      --show-log        Print the console log instead\n"
    "  -t, --type TYPE       console (the only one; vga is a virtual machine's)\n", cmd_console, console_flags, 1, 1, false, CLI_NAME (0), NULL },
  { "serve", "serve", NULL, "serve [--socket PATH]",
    "Serve LXD's REST API on a unix socket, for LXD's clients\n\n"
    "On $MINICTR_DIR/unix.socket (root and the `minictr` group, which is\n"
    "root-equivalent, as LXD's `lxd` group): LXD's own `lxc` client drives\n"
    "minictr with LXD_DIR=$MINICTR_DIR.  Containers never depend on the\n"
    "server: stop or restart it at any time.  Until SIGTERM or SIGINT.",
    "Flags:\n      --socket PATH     Listen there instead\n", cli_cmd_serve, serve_flags, 0, 0, false, 0, NULL },
};

const size_t cli_container_commands_n = sizeof (cli_container_commands) / sizeof (cli_container_commands[0]);
