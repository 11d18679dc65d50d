/* minictr network ...: LXD's `lxc network` for managed bridges
 * (runtime/net/network.h), plus `check`, which reports what on the host keeps
 * a network's traffic from flowing.  */
#include "cli/cli.h"
#include "runtime/config/configure.h"
#include "runtime/config/profiles.h"
#include "runtime/container.h"
#include "runtime/net/network.h"
#include "runtime/net/nic.h"
#include "cli/output.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The local networks as the API describes them.  */
static json_t *
local_networks (mc_error_t *err)
{
  struct mc_store s;
  json_t *names, *n, *all;
  size_t i;

  if (mc_store_open (&s, err) < 0)
    return NULL;
  if ((names = mc_network_names (&s, err)) == NULL)
    return mc_store_close (&s), NULL;
  all = json_array ();
  json_array_foreach (names, i, n)
    {
      json_t *d = mc_network_describe (&s, json_string_value (n), err);

      if (d == NULL)
        {
          json_decref (all);
          all = NULL;
          break;
        }
      json_array_append_new (all, d);
    }
  json_decref (names);
  mc_store_close (&s);
  return all;
}

static int
cmd_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "NAME", "TYPE", "MANAGED", "IPV4", "IPV6", "DESCRIPTION", "USED BY",
                                         "STATE" };
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  struct cli_table t;
  cleanup_json json_t *all = NULL;
  json_t *d;
  size_t i;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  all = a.remote ? cli_remote_list (a.remote, "/1.0/networks?recursion=1", err) : local_networks (err);
  if (all == NULL)
    return -1;
  cli_table_init (&t, headers, 8);
  json_array_foreach (all, i, d)
    {
      json_t *cfg = json_object_get (d, "config");
      const char *row[8], *status = json_string_value (json_object_get (d, "status"));
      char used[32];

      snprintf (used, sizeof (used), "%zu", json_array_size (json_object_get (d, "used_by")));
      row[0] = json_string_value (json_object_get (d, "name"));
      row[1] = "bridge";
      row[2] = "YES";
      row[3] = json_string_value (json_object_get (cfg, "ipv4.address"));
      row[4] = json_string_value (json_object_get (cfg, "ipv6.address"));
      row[5] = json_string_value (json_object_get (d, "description"));
      row[6] = used;
      row[7] = status && strcmp (status, "Created") == 0 ? "CREATED" : "UNAVAILABLE";
      cli_table_add (&t, row);
    }
  ret = cli_print (fmt, &t, all, err);
  cli_table_release (&t);
  return ret;
}

static int
cmd_show (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store s;
  json_t *d;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    d = cli_remote_config_doc (a.remote, "networks", argv[optind], false, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      d = mc_network_describe (&s, argv[optind], err);
      mc_store_close (&s);
    }
  if (d == NULL)
    return -1;
  ret = cli_print_yaml (d, err);
  json_decref (d);
  return ret;
}

static int
cmd_get (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store s;
  const char *v;
  json_t *d;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    d = cli_remote_config_doc (a.remote, "networks", argv[optind], false, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      d = mc_network_load (&s, argv[optind], err);
      mc_store_close (&s);
    }
  if (d == NULL)
    return -1;
  v = json_string_value (json_object_get (json_object_get (d, "config"), argv[optind + 1]));
  printf ("%s\n", v ? v : "");
  json_decref (d);
  return 0;
}

/* KEY VALUE, or KEY=VALUE...: into parallel arrays.  */
static int
parse_pairs (const struct cli_command *cmd, char **args, int n, const char ***keys, const char ***values,
             size_t *count, mc_error_t *err)
{
  int i;

  *keys = xmalloc0 (sizeof (char *) * (size_t) (n + 1));
  *values = xmalloc0 (sizeof (char *) * (size_t) (n + 1));
  *count = 0;
  if (n == 2 && strchr (args[0], '=') == NULL)
    {
      (*keys)[0] = args[0];
      (*values)[0] = args[1];
      *count = 1;
      return 0;
    }
  for (i = 0; i < n; i++)
    {
      char *eq = strchr (args[i], '=');

      if (eq == NULL || eq == args[i])
        return mc_make_usage_error (err, "%s: expected KEY VALUE or KEY=VALUE..., got `%s`", cmd->path, args[i]);
      *eq = '\0';
      (*keys)[*count] = args[i];
      (*values)[(*count)++] = eq + 1;
    }
  return 0;
}

static void
note_forwarding (struct mc_store *s, const char *name)
{
  struct mc_network net;
  mc_error_t e = NULL;

  if (mc_network_get (s, name, &net, &e) == 0 && net.nat && !mc_host_ip_forward ())
    fprintf (stderr, "minictr: note: net.ipv4.ip_forward is 0, so with ipv4.nat=true containers on `%s` reach the "
             "host and each other but nothing beyond (see `minictr network check %s`)\n", name, name);
  mc_error_release (&e);
}

static int
cmd_create (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_free const char **keys = NULL, **values = NULL;
  const char *description, *type;
  struct mc_store s;
  cleanup_json json_t *config = NULL;
  size_t n = 0, i;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  description = cli_value (&a, "description");
  if ((type = cli_value (&a, "type")) && strcmp (type, "bridge") != 0)
    return mc_make_usage_error (err, "network create: unsupported type `%s` (minictr makes bridges)", type);
  for (i = (size_t) optind + 1; i < (size_t) argc; i++)
    if (strchr (argv[i], '=') == NULL)
      return mc_make_usage_error (err, "network create: expected KEY=VALUE, got `%s`", argv[i]);
  if (argc - optind > 1
      && parse_pairs (cmd, argv + optind + 1, argc - optind - 1, &keys, &values, &n, err) < 0)
    return -1;
  config = json_object ();
  for (i = 0; i < n; i++)
    json_object_set_new (config, keys[i], json_string (values[i]));
  if (a.remote)
    {
      cleanup_json json_t *body = json_pack ("{s:s, s:s, s:s, s:O}", "name", argv[optind], "type", "bridge",
                                             "description", description ? description : "", "config", config);

      if ((ret = cli_remote_call (a.remote, "POST", "/1.0/networks", body, NULL, err)) == 0)
        printf ("Network %s created\n", argv[optind]);
      return ret;
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  ret = mc_network_create (&s, argv[optind], description, config, err);
  if (ret == 0)
    {
      printf ("Network %s created\n", argv[optind]);
      note_forwarding (&s, argv[optind]);
    }
  mc_store_close (&s);
  return ret;
}

static int
cmd_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store s;
  int i, ret = 0;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    {
      for (i = optind; i < argc && ret == 0; i++)
        if ((ret = cli_remote_object_call (a.remote, "DELETE", "networks", argv[i], "", NULL, NULL, err)) == 0)
          printf ("Network %s deleted\n", argv[i]);
      return ret;
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  for (i = optind; i < argc && ret == 0; i++)
    if ((ret = mc_network_delete (&s, argv[i], err)) == 0)
      printf ("Network %s deleted\n", argv[i]);
  mc_store_close (&s);
  return ret;
}

static int
change (const struct cli_command *cmd, const char *name, const struct mc_network_change *c, mc_error_t *err)
{
  struct mc_store s;
  int ret;

  (void) cmd;
  if (mc_store_open (&s, err) < 0)
    return -1;
  ret = mc_network_configure (&s, name, c, err);
  if (ret == 0)
    note_forwarding (&s, name);
  mc_store_close (&s);
  return ret;
}

static int
cmd_set (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_free const char **keys = NULL, **values = NULL;
  struct mc_network_change c = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (parse_pairs (cmd, argv + optind + 1, argc - optind - 1, &keys, &values, &c.n, err) < 0)
    return -1;
  if (a.remote)
    return cli_remote_config_set (a.remote, "networks", argv[optind], keys, values, c.n, err);
  c.keys = keys;
  c.values = values;
  return change (cmd, argv[optind], &c, err);
}

static int
cmd_unset (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_network_change c = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  c.keys = (const char *const *) argv + optind + 1;
  c.n = (size_t) (argc - optind - 1);
  if (a.remote)
    return cli_remote_config_unset (a.remote, "networks", argv[optind], c.keys, c.n, err);
  return change (cmd, argv[optind], &c, err);
}

static json_t *
edit_in_editor (const char *name, mc_error_t *err)
{
  struct mc_store s;
  json_t *doc, *out;

  if (mc_store_open (&s, err) < 0)
    return NULL;
  doc = mc_network_load (&s, name, err);
  mc_store_close (&s);
  if (doc == NULL)
    return NULL;
  out = cli_edit_yaml (doc, "network", err);
  json_decref (doc);
  return out;
}

static int
cmd_edit (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_network_change c = { 0 };
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    {
      cleanup_json json_t *doc = NULL, *shown = NULL;

      if (!isatty (STDIN_FILENO))
        doc = cli_read_yaml (STDIN_FILENO, "standard input", err);
      else if ((shown = cli_remote_config_doc (a.remote, "networks", argv[optind], false, err)) != NULL)
        {
          json_object_del (shown, "used_by");
          json_object_del (shown, "name");
          json_object_del (shown, "status");
          json_object_del (shown, "type");
          json_object_del (shown, "managed");
          doc = cli_edit_yaml (shown, "network", err);
        }
      return doc ? cli_remote_replace (a.remote, "networks", argv[optind], doc, err) : -1;
    }
  c.replace = isatty (STDIN_FILENO) ? edit_in_editor (argv[optind], err)
                                    : cli_read_yaml (STDIN_FILENO, "standard input", err);
  if (c.replace == NULL)
    return -1;
  ret = change (cmd, argv[optind], &c, err);
  json_decref (c.replace);
  return ret;
}

static void
print_list (const char *label, json_t *list)
{
  json_t *v;
  size_t i;

  json_array_foreach (list, i, v)
    printf ("  %s: %s\n", label, json_string_value (v));
}

static int
cmd_check (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store s;
  json_t *r;
  size_t problems;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  r = mc_network_check (&s, argv[optind], err);
  mc_store_close (&s);
  if (r == NULL)
    return -1;
  printf ("Network %s (bridge %s):\n", argv[optind], json_string_value (json_object_get (r, "interface")));
  print_list ("ok", json_object_get (r, "ok"));
  print_list ("problem", json_object_get (r, "problems"));
  print_list ("note", json_object_get (r, "notes"));
  problems = json_array_size (json_object_get (r, "problems"));
  json_decref (r);
  if (problems)
    return mc_make_error (err, 0, "%zu problem%s found on network `%s`", problems, problems == 1 ? "" : "s",
                          argv[optind]);
  return 0;
}

static const struct cli_flag format_flags[] = { { "format", 'f', true }, { NULL, 0, false } };
static const struct cli_flag create_flags[] = { { "description", 0, true }, { "type", 't', true }, { NULL, 0, false } };

static int
cmd_list_leases (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  /* LXD's columns; LOCATION only on a cluster, which minictr never is.  */
  static const char *const headers[] = { "HOSTNAME", "MAC ADDRESS", "IP ADDRESS", "TYPE" };
  cleanup_args struct cli_args a = { 0 };
  enum cli_format fmt = CLI_FORMAT_TABLE;
  struct mc_store s;
  struct cli_table t;
  json_t *leases, *l;
  size_t i;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if (a.remote)
    {
      if (cli_remote_object_call (a.remote, "GET", "networks", argv[optind], "/leases", NULL, &leases, err) < 0)
        return -1;
    }
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      leases = mc_nic_leases (&s, argv[optind], err);
      mc_store_close (&s);
    }
  if (!json_is_array (leases))
    {
      json_decref (leases);
      return *err ? -1 : mc_make_error (err, 0, "the leases of `%s` are not a list", argv[optind]);
    }
  cli_table_init (&t, headers, 4);
  json_array_foreach (leases, i, l)
    {
      const char *row[4] = { json_string_value (json_object_get (l, "hostname")),
                             json_string_value (json_object_get (l, "hwaddr")),
                             json_string_value (json_object_get (l, "address")),
                             strcmp (json_string_value (json_object_get (l, "type")), "static") == 0 ? "STATIC"
                                                                                                     : "DYNAMIC" };

      cli_table_add (&t, row);
    }
  ret = cli_print (fmt, &t, leases, err);
  cli_table_release (&t);
  json_decref (leases);
  return ret;
}

static int
cmd_info (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *i = NULL;
  json_t *c, *v;
  struct mc_store s;
  size_t k;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    {
      /* LXD's state has no interface name: the network's record does.  */
      cleanup_json json_t *net = cli_remote_config_doc (a.remote, "networks", argv[optind], false, err);

      if (net == NULL
          || cli_remote_object_call (a.remote, "GET", "networks", argv[optind], "/state", NULL, &i, err) < 0)
        return -1;
      json_object_set (i, "interface", json_object_get (net, "interface"));
    }
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      i = mc_network_info (&s, argv[optind], err);
      mc_store_close (&s);
    }
  if (i == NULL)
    return -1;
  c = json_object_get (i, "counters");
  printf ("Name: %s\nInterface: %s\nMAC address: %s\nMTU: %lld\nState: %s\nType: %s\n\nIP addresses:\n",
          argv[optind], json_string_value (json_object_get (i, "interface")),
          json_string_value (json_object_get (i, "hwaddr")), (long long) json_integer_value (json_object_get (i, "mtu")),
          json_string_value (json_object_get (i, "state")), json_string_value (json_object_get (i, "type")));
  json_array_foreach (json_object_get (i, "addresses"), k, v)
    printf ("  %-6s %s/%s (%s)\n", json_string_value (json_object_get (v, "family")),
            json_string_value (json_object_get (v, "address")), json_string_value (json_object_get (v, "netmask")),
            json_string_value (json_object_get (v, "scope")));
  printf ("\nNetwork usage:\n  Bytes received: %lld\n  Bytes sent: %lld\n  Packets received: %lld\n"
          "  Packets sent: %lld\n\nBridge:\n  Upper devices:",
          (long long) json_integer_value (json_object_get (c, "bytes_received")),
          (long long) json_integer_value (json_object_get (c, "bytes_sent")),
          (long long) json_integer_value (json_object_get (c, "packets_received")),
          (long long) json_integer_value (json_object_get (c, "packets_sent")));
  json_array_foreach (json_object_get (json_object_get (i, "bridge"), "upper_devices"), k, v)
    printf ("%s%s", k ? ", " : " ", json_string_value (v));
  printf ("\n");
  return 0;
}

/* LXD's `network attach NETWORK NAME [DEVICE [INTERFACE]]` and
 * `attach-profile`: a nic device on NETWORK (named DEVICE, default the
 * network's name; INTERFACE inside, default DEVICE).  */
static int
cmd_attach (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_config_change change = { 0 };
  cleanup_json json_t *dev = NULL;
  bool profile = strcmp (cmd->name, "attach-profile") == 0;
  json_t *deferred = NULL;
  struct mc_store s;
  const char *net, *target, *dname;
  int n, ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  n = argc - optind;
  net = argv[optind];
  target = argv[optind + 1];
  dname = n >= 3 ? argv[optind + 2] : net;
  dev = json_pack ("{s:s, s:s, s:s}", "type", "nic", "network", net, "name", n >= 4 ? argv[optind + 3] : dname);
  change.device = dname;
  change.device_conf = dev;
  if (a.remote)
    {
      /* (The server says when NETWORK is not there.)  */
      ret = cli_remote_change_device (a.remote, profile ? "profiles" : "instances", target, &change, err);
      if (ret == 0)
        printf ("Network %s attached to %s as device %s%s\n", net, target, dname,
                profile ? "" : " (from its next start if running)");
      return ret;
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  if (!mc_network_exists (&s, net))
    {
      mc_store_close (&s);
      return mc_make_error (err, 0, "network `%s` does not exist", net);
    }
  ret = profile ? mc_profile_configure (&s, target, &change, &deferred, err)
                : mc_container_configure (&s, target, &change, &deferred, err);
  mc_store_close (&s);
  json_decref (deferred);
  if (ret == 0)
    printf ("Network %s attached to %s as device %s%s\n", net, target, dname,
            profile ? "" : " (from its next start if running)");
  return ret;
}

/* `network detach NETWORK NAME [DEVICE]` and `detach-profile`: the nic
 * device on NETWORK (the only one, or DEVICE) goes.  */
static int
cmd_detach (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_config_change change = { 0 };
  cleanup_json json_t *doc = NULL;
  bool profile = strcmp (cmd->name, "detach-profile") == 0;
  const char *net, *target, *key, *found = NULL;
  json_t *deferred = NULL, *dev;
  struct mc_store s;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  net = argv[optind];
  target = argv[optind + 1];
  if (a.remote)
    doc = cli_remote_config_doc (a.remote, profile ? "profiles" : "instances", target, false, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      doc = profile ? mc_profile_load (&s, target, err) : mc_container_config_load (&s, target, err);
      mc_store_close (&s);
    }
  if (doc == NULL)
    return -1;
  json_object_foreach (json_object_get (doc, "devices"), key, dev)
    {
      const char *type = json_string_value (json_object_get (dev, "type"));
      const char *dn = json_string_value (json_object_get (dev, "network"));
      const char *parent = json_string_value (json_object_get (dev, "parent"));

      if (type == NULL || strcmp (type, "nic") || !((dn && strcmp (dn, net) == 0) || (parent && strcmp (parent, net) == 0)))
        continue;
      if (argc - optind == 3 && strcmp (key, argv[optind + 2]) != 0)
        continue;
      if (found)
        return mc_make_error (err, 0, "%s `%s` has several nics on network `%s` (%s, %s): name the device",
                              profile ? "profile" : "container", target, net, found, key);
      found = key;
    }
  if (found == NULL)
    return mc_make_error (err, 0, "%s `%s` has no nic device of its own on network `%s`",
                          profile ? "profile" : "container", target, net);
  change.device = found;
  if (a.remote)
    ret = cli_remote_change_device (a.remote, profile ? "profiles" : "instances", target, &change, err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      ret = profile ? mc_profile_configure (&s, target, &change, &deferred, err)
                    : mc_container_configure (&s, target, &change, &deferred, err);
      mc_store_close (&s);
      json_decref (deferred);
    }
  if (ret == 0)
    printf ("Network %s detached from %s (device %s)\n", net, target, found);
  return ret;
}

static const struct cli_command network_commands[] = {
  { "list", "network list", "ls", "network list [--format table|csv|json|yaml|compact]", "List networks",
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n", cmd_list, format_flags, 0, 0, false, CLI_NAME (0), NULL },
  { "show", "network show", NULL, "network show NETWORK", "Show a network as YAML (with used_by)", NULL, cmd_show, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "info", "network info", NULL, "network info NETWORK", "Show a network's bridge as the kernel has it",
    "Its address, MAC, MTU, state, byte and packet counters, and the ports on it.\n", cmd_info, NULL, 1, 1, false,
    CLI_NAME (0), NULL },
  { "attach", "network attach", NULL, "network attach NETWORK NAME [DEVICE [INTERFACE]]",
    "Give a container a nic on a network",
    "DEVICE defaults to the network's name, INTERFACE (inside) to DEVICE.\n", cmd_attach, NULL, 2, 4, false,
    CLI_NAME (0), NULL },
  { "detach", "network detach", NULL, "network detach NETWORK NAME [DEVICE]",
    "Remove a container's nic on a network", NULL, cmd_detach, NULL, 2, 3, false, CLI_NAME (0), NULL },
  { "attach-profile", "network attach-profile", NULL, "network attach-profile NETWORK PROFILE [DEVICE [INTERFACE]]",
    "Give a profile a nic on a network", NULL, cmd_attach, NULL, 2, 4, false, CLI_NAME (0), NULL },
  { "detach-profile", "network detach-profile", NULL, "network detach-profile NETWORK PROFILE [DEVICE]",
    "Remove a profile's nic on a network", NULL, cmd_detach, NULL, 2, 3, false, CLI_NAME (0), NULL },
  { "list-leases", "network list-leases", NULL, "network list-leases NETWORK [--format table|csv|json|yaml|compact]",
    "List the addresses the network's containers have (dnsmasq's leases)",
    "Every nic on the network: its container, MAC and address; STATIC when the device\n"
    "sets ipv4.address, DYNAMIC when minictr picked it (dnsmasq serves both as fixed leases).\n\n"
    "Flags:\n  -f, --format FORMAT   table (default), csv, json, yaml or compact\n", cmd_list_leases, format_flags, 1, 1,
    false, CLI_NAME (0), NULL },
  { "create", "network create", NULL, "network create NETWORK [KEY=VALUE...] [--description D]",
    "Create a bridge network",
    "Keys:\n"
    "  ipv4.address   auto (default: a free /24 of the private ranges), none, or A.B.C.D/P\n"
    "                 (the bridge's address, the containers' gateway)\n"
    "  ipv4.nat       true (default) or false: masquerade the subnet's traffic leaving the host\n"
    "  ipv4.dhcp      true (default) or false: dnsmasq on the bridge hands each container its\n"
    "                 address by DHCP and answers DNS for NAME and NAME.<dns.domain>\n"
    "  ipv6.address   none (default), auto (a random unique local /64) or X:Y::1/64:\n"
    "                 the bridge's address; each nic gets its SLAAC address\n"
    "  ipv6.nat       true or false (default): masquerade the /64's traffic leaving the host\n"
    "  dns.domain     the containers' domain in /etc/hosts and resolv.conf (default minictr)\n"
    "  user.*         free-form\n",
    cmd_create, create_flags, 1, CLI_ANY, false, CLI_NAME (0), NULL },
  { "delete", "network delete", "rm", "network delete NETWORK...",
    "Delete networks no container or profile uses (the bridge and its firewall rules go)", NULL, cmd_delete, NULL, 1, CLI_ANY, true, CLI_NAMES_ALL, NULL },
  { "get", "network get", NULL, "network get NETWORK KEY", "Print a network key's value", NULL, cmd_get, NULL, 2, 2, true, CLI_NAME (0), NULL },
  { "set", "network set", NULL, "network set NETWORK KEY VALUE | KEY=VALUE...",
    "Set network keys (the bridge and firewall change at once, containers at their next start)", NULL, cmd_set, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "unset", "network unset", NULL, "network unset NETWORK KEY...", "Unset network keys", NULL, cmd_unset, NULL, 2, CLI_ANY, true, CLI_NAME (0), NULL },
  { "edit", "network edit", NULL, "network edit NETWORK [< network.yaml]",
    "Edit a network as YAML in $VISUAL/$EDITOR (or read it from standard input)", NULL, cmd_edit, NULL, 1, 1, true, CLI_NAME (0), NULL },
  { "check", "network check", NULL, "network check NETWORK",
    "Report what on the host keeps the network's traffic from flowing",
    "Looks at the bridge, minictr's nftables table, other tables' chains that drop\n"
    "forwarded or incoming traffic by default, and net.ipv4.ip_forward when NAT is on.\n"
    "Reads only: it changes no host setting.  Exit status 1 when a problem is found.\n",
    cmd_check, NULL, 1, 1, true, CLI_NAME (0), NULL },
};

int
cli_network (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("network", "Manage networks: bridges the containers' nic devices join.", network_commands,
                       sizeof (network_commands) / sizeof (network_commands[0]), argc, argv, err);
}
