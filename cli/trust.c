/* `minictr config trust ...` (LXD's): the clients the API server trusts
 * over HTTPS, and join tokens for new ones; `config get|set|unset core.*`,
 * the server's own keys (runtime/trust.h).  */
#include "cli/cli.h"
#include "cli/output.h"
#include "images/store.h"
#include "runtime/trust.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int
cli_server_config (const char *remote, const char *verb, const char *key, const char *value, mc_error_t *err)
{
  cleanup_json json_t *config = NULL;
  struct mc_store s;
  int r;

  if (remote)
    {
      /* The server's keys there: GET /1.0's config; PATCH /1.0 ("": unset).  */
      cleanup_json json_t *server = NULL, *body = NULL;
      const char *v;

      if (strcmp (verb, "get") != 0)
        {
          body = json_pack ("{s:{s:s}}", "config", key, value ? value : "");
          return cli_remote_call (remote, "PATCH", "/1.0", body, NULL, err);
        }
      if ((server = cli_remote_get (remote, "/1.0", err)) == NULL)
        return -1;
      v = json_string_value (json_object_get (json_object_get (server, "config"), key));
      printf ("%s\n", v ? v : "");
      return 0;
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  if (strcmp (verb, "get") == 0)
    {
      r = (config = mc_server_config_load (&s, err)) == NULL ? -1 : 0;
      if (r == 0)
        printf ("%s\n", json_string_value (json_object_get (config, key)) ? json_string_value (json_object_get (config, key)) : "");
    }
  else
    r = mc_server_config_set (&s, key, value, err);
  mc_store_close (&s);
  return r;
}

/* ---- on a remote: LXD's /1.0/certificates ------------------------------------ */

/* A join token made by REMOTE for NAME (LXD's: the operation's metadata,
 * printed as the token `lxc remote add` takes).  */
static int
remote_token (const char *remote, const char *name, mc_error_t *err)
{
  cleanup_json json_t *body = json_pack ("{s:s, s:s, s:b}", "name", name, "type", "client", "token", 1);
  cleanup_json json_t *md = NULL, *tok = NULL;
  cleanup_free char *text = NULL;
  json_t *secret, *fp, *addrs;

  if (cli_remote_call (remote, "POST", "/1.0/certificates", body, &md, err) < 0)
    return -1;
  secret = json_object_get (md, "secret");
  fp = json_object_get (md, "fingerprint");
  addrs = json_object_get (md, "addresses");
  if (!json_is_string (secret) || !json_is_string (fp) || !json_is_array (addrs))
    return mc_make_error (err, 0, "remote `%s` answered with no join token", remote);
  tok = json_pack ("{s:s, s:O, s:O, s:O, s:s}", "client_name", name, "fingerprint", fp, "addresses", addrs, "secret",
                   secret, "expires_at", "0001-01-01T00:00:00Z");
  if ((text = mc_trust_token_encode (tok, err)) == NULL)
    return -1;
  printf ("Client %s certificate add token:\n%s\n", name, text);
  return 0;
}

/* The PEM certificate PEM (from FILE) trusted by REMOTE as NAME: LXD's
 * POST /1.0/certificates with its DER in base64.  */
static int
remote_add_certificate (const char *remote, const char *file, const char *pem, size_t len, const char *name,
                        mc_error_t *err)
{
  cleanup_free char *b64 = NULL;
  cleanup_json json_t *body = NULL;
  char fp[MC_CERT_FP_LEN + 1];

  if (mc_cert_pem_der64 (file, pem, len, &b64, fp, err) < 0)
    return -1;
  body = json_pack ("{s:s, s:s, s:s}", "type", "client", "certificate", b64, "name", name ? name : "");
  if (cli_remote_call (remote, "POST", "/1.0/certificates", body, NULL, err) < 0)
    return -1;
  printf ("Certificate %s trusted\n", fp);
  return 0;
}

/* ---- the local store ------------------------------------------------------------ */

static int
trust_add (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *config = NULL;
  cleanup_free char *token = NULL;
  const char *name, *addr;
  struct mc_store s;

  CLI_PARSE (cmd, argc, argv, &a, err);
  name = cli_value (&a, "name") ? cli_value (&a, "name") : "client";
  if (a.remote)
    return remote_token (a.remote, name, err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  config = mc_server_config_load (&s, err);
  addr = config ? json_string_value (json_object_get (config, "core.https_address")) : NULL;
  if (config && addr == NULL)
    mc_make_error (err, 0, "set core.https_address first (`minictr config set core.https_address 127.0.0.1:8443`)");
  else if (config)
    token = mc_trust_token_new (&s, name, addr, err);
  mc_store_close (&s);
  if (token == NULL)
    return -1;
  printf ("Client %s certificate add token:\n%s\n", name, token);
  return 0;
}

static int
trust_add_certificate (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_free char *pem = NULL;
  char fp[MC_CERT_FP_LEN + 1];
  struct mc_store s;
  size_t len;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (mc_read_file_at (AT_FDCWD, argv[optind], 1 << 20, &pem, &len, err) < 0)
    return -1;
  if (a.remote)
    return remote_add_certificate (a.remote, argv[optind], pem, len, cli_value (&a, "name"), err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  r = mc_trust_add (&s, pem, len, cli_value (&a, "name"), fp, err);
  mc_store_close (&s);
  if (r == 0)
    printf ("Certificate %s trusted\n", fp);
  return r;
}

static int
trust_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "TYPE", "NAME", "FINGERPRINT" };
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *all = NULL;
  enum cli_format fmt = CLI_FORMAT_TABLE;
  struct cli_table t;
  struct mc_store s;
  json_t *c;
  size_t i;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if (a.remote)
    all = cli_remote_list (a.remote, "/1.0/certificates?recursion=1", err);
  else if (mc_store_open (&s, err) < 0)
    return -1;
  else
    {
      all = mc_trust_list (&s, err);
      mc_store_close (&s);
    }
  if (all == NULL)
    return -1;
  cli_table_init (&t, headers, 3);
  json_array_foreach (all, i, c)
    {
      char short_fp[13];
      const char *row[3];

      snprintf (short_fp, sizeof (short_fp), "%s", json_string_value (json_object_get (c, "fingerprint")));
      row[0] = json_string_value (json_object_get (c, "type"));
      row[1] = json_string_value (json_object_get (c, "name"));
      row[2] = short_fp;
      cli_table_add (&t, row);
    }
  r = cli_print (fmt, &t, all, err);
  cli_table_release (&t);
  return r;
}

static int
trust_remove (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_store s;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    return cli_remote_object_call (a.remote, "DELETE", "certificates", argv[optind], "", NULL, NULL, err);
  if (mc_store_open (&s, err) < 0)
    return -1;
  r = mc_trust_remove (&s, argv[optind], err);
  mc_store_close (&s);
  return r;
}

static const struct cli_flag name_flags[] = { { "name", 0, true }, { NULL, 0, false } };
static const struct cli_flag list_flags[] = { { "format", 'f', true }, { NULL, 0, false } };

static const struct cli_command trust_commands[] = {
  { "add", "config trust add", NULL, "config trust add [REMOTE:] [--name NAME]",
    "Make a join token for a new client (LXD 5.0's flow: `lxc remote add NAME TOKEN`)",
    "The token holds this server's HTTPS address (core.https_address) and the\n"
    "fingerprint of its certificate; it trusts the first client that presents it, once.\n\n"
    "Flags:\n      --name NAME       The client's name (default: client)\n", trust_add, name_flags, 0, 0, false,
    CLI_NAME (0), NULL },
  { "add-certificate", "config trust add-certificate", NULL, "config trust add-certificate [REMOTE:] FILE [--name NAME]",
    "Trust a client's PEM certificate", "Flags:\n      --name NAME       The client's name\n",
    trust_add_certificate, name_flags, 1, 1, false, CLI_NAME (0), NULL },
  { "list", "config trust list", "ls", "config trust list [REMOTE:] [--format table|csv|json|yaml|compact]",
    "List the trusted clients", NULL, trust_list, list_flags, 0, 0, false, CLI_NAME (0), NULL },
  { "remove", "config trust remove", "rm", "config trust remove [REMOTE:]FINGERPRINT",
    "Stop trusting a client (a unique fingerprint prefix will do)", NULL, trust_remove, NULL, 1, 1, false,
    CLI_NAME (0), NULL },
};

int
cli_cmd_config_trust (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  (void) cmd;
  return cli_dispatch ("config trust", "Manage the clients the API server trusts over HTTPS.", trust_commands,
                       sizeof (trust_commands) / sizeof (trust_commands[0]), argc, argv, err);
}
