/* `minictr remote ...` (LXD's): the servers minictr's CLI talks to over
 * LXD's REST API, and `REMOTE:` names.  The client's config is LXD's
 * shape, in $MINICTR_CONF (default ~/.config/minictr): config.yml
 * (default-remote, remotes: NAME: {addr, protocol, auth_type, public}),
 * servercerts/NAME.crt (each server's pinned certificate), client.crt
 * and client.key (ours, made on first use).  `local` is the local store,
 * used directly: no server involved.  */
#include "api/client.h"
#include "cli/cli.h"
#include "runtime/config/configure.h"
#include "cli/output.h"
#include "lib/dl.h"
#include "lib/utils.h"
#include "lib/yamltree.h"
#include "runtime/exec.h"
#include "runtime/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- the client's config ---------------------------------------------------- */

static char *
conf_dir (void)
{
  const char *d = getenv ("MINICTR_CONF"), *home = getenv ("HOME");

  if (d && *d)
    return xstrdup (d);
  return xasprintf ("%s/.config/minictr", home && *home ? home : "/root");
}

/* The config (a new one when there is none).  */
static json_t *
conf_load (mc_error_t *err)
{
  cleanup_free char *dir = conf_dir ();
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  json_t *c;

  if (dfd < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "open `%s`", dir), NULL;
  if (dfd < 0 || faccessat (dfd, "config.yml", F_OK, 0) < 0)
    c = json_object ();
  else if ((c = mc_yaml_load_mapping_at (dfd, "config.yml", err)) == NULL)
    return NULL;
  if (!json_is_object (json_object_get (c, "remotes")))
    json_object_set_new (c, "remotes", json_object ());
  if (!json_is_string (json_object_get (c, "default-remote")))
    json_object_set_new (c, "default-remote", json_string ("local"));
  return c;
}

static int
conf_save (json_t *c, mc_error_t *err)
{
  cleanup_free char *dir = conf_dir (), *text = NULL;
  cleanup_close int dfd = -1;
  size_t len;

  if (mc_mkdir_p (dir, 0700, err) < 0 || mc_yaml_dump (c, &text, &len, err) < 0)
    return -1;
  if ((dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  return mc_write_file_atomic_at (dfd, "config.yml", text, len, 0600, err);
}

static int
remote_name_validate (const char *name, mc_error_t *err)
{
  if (*name == '\0' || strlen (name) > 64 || strpbrk (name, ":/ \t\n") != NULL || name[0] == '.')
    return mc_make_usage_error (err, "invalid remote name `%s`", name);
  return 0;
}

/* The client for remote NAME (its entry in C).  */
static int
client_for (json_t *c, const char *name, struct mc_client *cl, mc_error_t *err)
{
  json_t *r = json_object_get (json_object_get (c, "remotes"), name);
  const char *addr = json_string_value (json_object_get (r, "addr"));
  cleanup_free char *dir = conf_dir ();

  memset (cl, 0, sizeof (*cl));
  if (addr == NULL)
    return mc_make_error (err, 0, "remote `%s` does not exist (see `minictr remote list`)", name);
  cl->url = xstrdup (addr);
  if (strncmp (addr, "https://", 8) == 0)
    {
      cl->server_crt = xasprintf ("%s/servercerts/%s.crt", dir, name);
      if (mc_client_cert (dir, &cl->client_crt, &cl->client_key, err) < 0)
        {
          mc_client_release (cl);
          return -1;
        }
    }
  return 0;
}

/* ---- REMOTE: names ------------------------------------------------------------ */

int
cli_remote_of (const char *prefix, size_t len, const char *arg, char **remote, mc_error_t *err)
{
  cleanup_json json_t *c = NULL;
  cleanup_free char *name = prefix ? xstrndup (prefix, len) : NULL;
  const char *want;

  *remote = NULL;
  if (name && strcmp (name, "local") == 0)
    return 0;
  /* No config: only `local` exists, and is the default.  */
  {
    cleanup_free char *dir = conf_dir (), *path = xasprintf ("%s/config.yml", dir);

    if (access (path, F_OK) < 0)
      {
        if (name == NULL)
          return 0;
        return mc_make_usage_error (err, "unknown remote `%s` in `%s` (see `minictr remote list`)", name, arg);
      }
  }
  if ((c = conf_load (err)) == NULL)
    return -1;
  want = name ? name : json_string_value (json_object_get (c, "default-remote"));
  if (strcmp (want, "local") == 0)
    return 0;
  if (json_object_get (json_object_get (c, "remotes"), want) == NULL)
    {
      if (name)
        return mc_make_usage_error (err, "unknown remote `%s` in `%s` (see `minictr remote list`)", want, arg);
      return mc_make_error (err, 0, "the default remote `%s` does not exist (`minictr remote switch local`)", want);
    }
  *remote = xstrdup (want);
  return 0;
}

int
cli_remote_client_open (const char *remote, struct mc_client *cl, mc_error_t *err)
{
  cleanup_json json_t *c = conf_load (err);

  if (c == NULL)
    return -1;
  return client_for (c, remote, cl, err);
}

/* ---- remote add --------------------------------------------------------------- */

/* A join token (base64 JSON: client_name, fingerprint, addresses, secret,
 * expires_at), or NULL when ARG is not one.  */
static json_t *
decode_token (const char *arg)
{
  size_t n = strlen (arg);
  cleanup_free unsigned char *buf = NULL;
  mc_error_t err = NULL;
  json_t *t;

  if (n < 16 || n % 4 != 0 || strspn (arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
    return NULL;
  if (mc_dl_crypto (&err) < 0 || mc_dl_x509 (&err) < 0)
    {
      mc_error_release (&err);
      return NULL;
    }
  buf = xmalloc0 (n + 1);
  if (sym_EVP_DecodeBlock (buf, (const unsigned char *) arg, (int) n) < 0)
    return NULL;
  t = json_loads ((char *) buf, 0, NULL);
  if (!json_is_object (t) || !json_is_string (json_object_get (t, "secret"))
      || !json_is_string (json_object_get (t, "fingerprint")) || !json_is_array (json_object_get (t, "addresses")))
    {
      json_decref (t);
      return NULL;
    }
  return t;
}

/* GET /1.0's `auth` (trusted, untrusted), or NULL with *ERR.  */
static char *
server_auth (struct mc_client *cl, mc_error_t *err)
{
  cleanup_json json_t *m = NULL;
  const char *auth;

  if (mc_client_call (cl, "GET", "/1.0", NULL, &m, err) < 0)
    return NULL;
  auth = json_string_value (json_object_get (m, "auth"));
  return xstrdup (auth ? auth : "untrusted");
}

/* Over HTTPS: pin the server's certificate (checked against the token's
 * fingerprint, or accepted as asked), then become trusted with the token
 * if need be.  */
static int
add_https (const char *name, const char *url, json_t *token, bool accept, mc_error_t *err)
{
  cleanup_free char *dir = conf_dir (), *certs = xasprintf ("%s/servercerts", dir);
  cleanup_free char *crt_name = xasprintf ("%s.crt", name), *auth = NULL;
  cleanup_close int dfd = -1;
  struct mc_client cl = { 0 };
  const char *want = token ? json_string_value (json_object_get (token, "fingerprint")) : NULL;
  int ret = -1;

  cl.url = xstrdup (url);
  if (mc_client_cert (dir, &cl.client_crt, &cl.client_key, err) < 0)
    goto out;
  /* First contact: any certificate, to see which one it is.  */
  if ((auth = server_auth (&cl, err)) == NULL)
    goto out;
  if (cl.peer_pem == NULL)
    {
      mc_make_error (err, 0, "`%s` presented no certificate", url);
      goto out;
    }
  if (want && strcmp (want, cl.peer_fp) != 0)
    {
      mc_make_error (err, 0, "`%s`'s certificate (%s) is not the one the token names (%s)", url, cl.peer_fp, want);
      goto out;
    }
  if (want == NULL && !accept)
    {
      mc_make_error (err, 0, "`%s`'s certificate fingerprint is %s: check it, then add --accept-certificate", url,
                     cl.peer_fp);
      goto out;
    }
  if (mc_mkdir_p (certs, 0700, err) < 0)
    goto out;
  if ((dfd = open (certs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    {
      mc_make_error (err, errno, "open `%s`", certs);
      goto out;
    }
  if (mc_write_file_atomic_at (dfd, crt_name, cl.peer_pem, strlen (cl.peer_pem), 0644, err) < 0)
    goto out;
  /* From here on, that certificate only.  */
  cl.server_crt = xasprintf ("%s/%s", certs, crt_name);
  free (auth);
  if ((auth = server_auth (&cl, err)) == NULL)
    goto unpin;
  if (strcmp (auth, "trusted") != 0)
    {
      json_t *body;

      if (token == NULL)
        {
          mc_make_error (err, 0, "`%s` does not trust this client: ask its admin for a token "
                                 "(`minictr config trust add` there) and add the remote with it", url);
          goto unpin;
        }
      body = json_pack ("{s:s, s:O}", "type", "client", "password", json_object_get (token, "secret"));
      ret = mc_client_call (&cl, "POST", "/1.0/certificates", body, NULL, err);
      json_decref (body);
      if (ret < 0)
        goto unpin;
      ret = -1;
      free (auth);
      if ((auth = server_auth (&cl, err)) == NULL)
        goto unpin;
      if (strcmp (auth, "trusted") != 0)
        {
          mc_make_error (err, 0, "`%s` took the token but does not trust this client", url);
          goto unpin;
        }
    }
  ret = 0;
  goto out;
unpin:
  unlinkat (dfd, crt_name, 0);
out:
  mc_client_release (&cl);
  return ret;
}

static int
remote_add (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *c = NULL, *token = NULL;
  cleanup_free char *url = NULL;
  const char *name, *arg;
  json_t *remotes;

  CLI_PARSE (cmd, argc, argv, &a, err);
  name = argv[optind];
  arg = argc - optind > 1 ? argv[optind + 1] : name;
  if (remote_name_validate (name, err) < 0)
    return -1;
  if (strcmp (name, "local") == 0)
    return mc_make_usage_error (err, "remote `local` is the local store and cannot be added");
  if ((c = conf_load (err)) == NULL)
    return -1;
  remotes = json_object_get (c, "remotes");
  if (json_object_get (remotes, name))
    return mc_make_error (err, 0, "remote `%s` exists (remove it first)", name);
  if (cli_has (&a, "token"))
    {
      if ((token = decode_token (cli_value (&a, "token"))) == NULL)
        return mc_make_usage_error (err, "--token: not a join token");
    }
  else if (strstr (arg, "://") == NULL && strncmp (arg, "unix:", 5) != 0)
    token = decode_token (arg);
  if (token && (strstr (arg, "://") == NULL && strncmp (arg, "unix:", 5) != 0))
    {
      /* The token's first address.  */
      const char *addr = json_string_value (json_array_get (json_object_get (token, "addresses"), 0));

      if (addr == NULL)
        return mc_make_error (err, 0, "the token names no address");
      url = xasprintf ("https://%s", addr);
    }
  else if (strstr (arg, "://") || strncmp (arg, "unix:", 5) == 0)
    url = xstrdup (arg);
  else
    /* LXD's shorthand: HOST[:PORT] is https://HOST[:8443].  */
    url = xasprintf ("https://%s", arg);
  if (strncmp (url, "https://", 8) == 0)
    {
      if (add_https (name, url, token, cli_has (&a, "accept-certificate"), err) < 0)
        return -1;
    }
  else
    {
      struct mc_client cl = { .url = xstrdup (url) };
      cleanup_free char *auth = server_auth (&cl, err);

      mc_client_release (&cl);
      if (auth == NULL)
        return -1;
    }
  json_object_set_new (remotes, name, json_pack ("{s:s, s:s, s:s, s:b}", "addr", url, "protocol", "lxd", "auth_type",
                                                 strncmp (url, "https://", 8) == 0 ? "tls" : "file access", "public",
                                                 0));
  return conf_save (c, err);
}

/* ---- list, remove, switch, get-default ------------------------------------------- */

static int
remote_list (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const char *const headers[] = { "NAME", "URL", "PROTOCOL", "AUTH TYPE", "PUBLIC", "STATIC", "GLOBAL" };
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *c = NULL, *out = NULL;
  enum cli_format fmt = CLI_FORMAT_TABLE;
  const char *def, *name;
  struct cli_table t;
  json_t *r;
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &fmt, err) < 0)
    return -1;
  if ((c = conf_load (err)) == NULL)
    return -1;
  def = json_string_value (json_object_get (c, "default-remote"));
  out = json_object ();
  json_object_set_new (out, "local", json_pack ("{s:s, s:s, s:s, s:b}", "addr", "unix://", "protocol", "lxd",
                                                "auth_type", "file access", "public", 0));
  json_object_update (out, json_object_get (c, "remotes"));
  cli_table_init (&t, headers, 7);
  json_object_foreach (out, name, r)
    {
      cleanup_free char *shown = strcmp (name, def) == 0 ? xasprintf ("%s (current)", name) : xstrdup (name);
      const char *row[7];

      row[0] = shown;
      row[1] = json_string_value (json_object_get (r, "addr"));
      row[2] = "lxd";
      row[3] = json_string_value (json_object_get (r, "auth_type"));
      row[4] = json_is_true (json_object_get (r, "public")) ? "YES" : "NO";
      row[5] = strcmp (name, "local") == 0 ? "YES" : "NO";
      row[6] = "NO";
      cli_table_add (&t, row);
    }
  ret = cli_print (fmt, &t, out, err);
  cli_table_release (&t);
  return ret;
}

static int
remote_remove (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *c = NULL;
  cleanup_free char *dir = conf_dir (), *crt = NULL;
  const char *name;

  CLI_PARSE (cmd, argc, argv, &a, err);
  name = argv[optind];
  if (strcmp (name, "local") == 0)
    return mc_make_error (err, 0, "remote `local` cannot be removed");
  if ((c = conf_load (err)) == NULL)
    return -1;
  if (json_object_get (json_object_get (c, "remotes"), name) == NULL)
    return mc_make_error (err, 0, "remote `%s` does not exist", name);
  if (strcmp (json_string_value (json_object_get (c, "default-remote")), name) == 0)
    return mc_make_error (err, 0, "remote `%s` is the default: switch to another first", name);
  json_object_del (json_object_get (c, "remotes"), name);
  if (conf_save (c, err) < 0)
    return -1;
  crt = xasprintf ("%s/servercerts/%s.crt", dir, name);
  if (unlink (crt) < 0 && errno != ENOENT)
    return mc_make_error (err, errno, "remove `%s`", crt);
  return 0;
}

static int
remote_switch (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *c = NULL;
  const char *name;

  CLI_PARSE (cmd, argc, argv, &a, err);
  name = argv[optind];
  if ((c = conf_load (err)) == NULL)
    return -1;
  if (strcmp (name, "local") != 0 && json_object_get (json_object_get (c, "remotes"), name) == NULL)
    return mc_make_error (err, 0, "remote `%s` does not exist", name);
  json_object_set_new (c, "default-remote", json_string (name));
  return conf_save (c, err);
}

static int
remote_get_default (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *c = NULL;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if ((c = conf_load (err)) == NULL)
    return -1;
  printf ("%s\n", json_string_value (json_object_get (c, "default-remote")));
  return 0;
}

static const struct cli_flag add_flags[] = {
  { "accept-certificate", 0, false }, { "token", 0, true }, { "protocol", 0, true }, { "auth-type", 0, true },
  { NULL, 0, false },
};
static const struct cli_flag format_flags[] = { { "format", 'f', true }, { NULL, 0, false } };

static const struct cli_command remote_commands[] = {
  { "add", "remote add", NULL, "remote add NAME [URL|TOKEN] [--accept-certificate] [--token TOKEN]",
    "Add a server: another minictr serve, or LXD",
    "URL: https://HOST[:PORT] (HOST[:PORT] alone means that, port 8443) or unix:///PATH.\n"
    "TOKEN: a join token from the server (`minictr config trust add` there, or LXD's\n"
    "`lxc config trust add`): its address, the fingerprint its certificate must have,\n"
    "and the secret that makes the server trust this client.  Without a token the\n"
    "client must be trusted already, and the certificate accepted with\n"
    "--accept-certificate after checking the fingerprint printed.\n\n"
    "Flags:\n"
    "      --accept-certificate  Accept the server's certificate (without a token)\n"
    "      --token TOKEN         A join token, with a URL\n"
    "      --protocol lxd, --auth-type tls  Accepted (the only ones)\n",
    remote_add, add_flags, 1, 2, false, 0, NULL },
  { "list", "remote list", "ls", "remote list [--format table|csv|json|yaml|compact]", "List the remotes", NULL,
    remote_list, format_flags, 0, 0, false, 0, NULL },
  { "remove", "remote remove", "rm", "remote remove NAME", "Remove a remote", NULL, remote_remove, NULL, 1, 1, false,
    0, NULL },
  { "switch", "remote switch", NULL, "remote switch NAME", "Make a remote the default (names without a prefix)",
    NULL, remote_switch, NULL, 1, 1, false, 0, NULL },
  { "get-default", "remote get-default", NULL, "remote get-default", "Print the default remote", NULL,
    remote_get_default, NULL, 0, 0, false, 0, NULL },
};

int
cli_remote (int argc, char **argv, mc_error_t *err)
{
  return cli_dispatch ("remote", "Manage the servers minictr's CLI can drive (LXD's REST API).", remote_commands,
                       sizeof (remote_commands) / sizeof (remote_commands[0]), argc, argv, err);
}

/* ---- commands on a remote ------------------------------------------------------- */

static const char *const remote_capable[] = {
  "list", "info", "console", "launch", "init", "start", "stop", "restart", "pause", "resume", "delete",
  "copy", "move", "exec", "snapshot", "restore", "publish", "export", "import",
  "file push", "file pull", "file delete", "file edit", "file create",
  "config show", "config get", "config set", "config unset", "config edit",
  "config device add", "config device remove", "config device list", "config device show", "config device get",
  "config device set", "config device unset", "config device override",
  "config trust add", "config trust add-certificate", "config trust list", "config trust remove",
  "profile list", "profile show", "profile get", "profile set", "profile unset", "profile edit", "profile create",
  "profile delete", "profile copy", "profile rename", "profile add", "profile remove", "profile assign",
  "profile device add", "profile device remove", "profile device list", "profile device show",
  "profile device get", "profile device set", "profile device unset",
  "image import", "image list", "image info", "image show", "image delete", "image export",
  "image alias create", "image alias delete", "image alias list", "image alias rename",
  "network list", "network show", "network info", "network get", "network set", "network unset", "network edit",
  "network create", "network delete", "network list-leases", "network attach", "network detach",
  "network attach-profile", "network detach-profile",
  NULL
};

bool
cli_remote_capable (const char *path)
{
  size_t i;

  for (i = 0; remote_capable[i]; i++)
    if (strcmp (path, remote_capable[i]) == 0)
      return true;
  return false;
}

char *
cli_remote_capable_list (void)
{
  size_t i, len = 0;
  char *out;

  for (i = 0; remote_capable[i]; i++)
    len += strlen (remote_capable[i]) + 2;
  out = xmalloc (len + 1);
  *out = '\0';
  for (i = 0; remote_capable[i]; i++)
    {
      if (i)
        strcat (out, ", ");
      strcat (out, remote_capable[i]);
    }
  return out;
}

static char *
instance_path (const char *name, const char *tail)
{
  cleanup_free char *enc = cli_url_segment (name);

  return xasprintf ("/1.0/instances/%s%s", enc, tail);
}

json_t *
cli_remote_get (const char *remote, const char *path, mc_error_t *err)
{
  json_t *doc = NULL;

  return cli_remote_call (remote, "GET", path, NULL, &doc, err) < 0 ? NULL : doc;
}

json_t *
cli_remote_list (const char *remote, const char *path, mc_error_t *err)
{
  json_t *all = cli_remote_get (remote, path, err);

  if (all && !json_is_array (all))
    {
      json_decref (all);
      mc_make_error (err, 0, "remote `%s`: the answer to %s is not a list", remote, path);
      return NULL;
    }
  return all;
}

int
cli_remote_state (const char *remote, const char *name, const char *action, bool force, int timeout, mc_error_t *err)
{
  cleanup_free char *path = instance_path (name, "/state");
  cleanup_json json_t *body = json_pack ("{s:s, s:b, s:i}", "action", action, "force", force, "timeout", timeout);
  struct mc_client cl;
  int ret;

  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  ret = mc_client_call (&cl, "PUT", path, body, NULL, err);
  mc_client_release (&cl);
  return ret;
}

int
cli_remote_delete (const char *remote, const char *name, bool force, mc_error_t *err)
{
  cleanup_free char *path = instance_path (name, ""), *state = instance_path (name, "/state");
  cleanup_json json_t *st = NULL;
  struct mc_client cl;
  int ret;

  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  ret = mc_client_call (&cl, "GET", state, NULL, &st, err);
  if (ret == 0 && json_string_value (json_object_get (st, "status"))
      && strcmp (json_string_value (json_object_get (st, "status")), "Stopped") != 0)
    {
      /* LXD's client: -f stops it first; without, the server refuses.  */
      if (!force)
        ret = mc_make_error (err, 0, "the instance is running: stop it, or delete it with --force");
      else
        {
          cleanup_json json_t *stop = json_pack ("{s:s, s:b, s:i}", "action", "stop", "force", 1, "timeout", -1);

          ret = mc_client_call (&cl, "PUT", state, stop, NULL, err);
        }
    }
  if (ret == 0)
    ret = mc_client_call (&cl, "DELETE", path, NULL, NULL, err);
  mc_client_release (&cl);
  return ret;
}

int
cli_remote_create (const char *remote, const char *image, const char *name, json_t *overrides,
                   const char *const *profiles, size_t n_profiles, bool ephemeral, bool start, mc_error_t *err)
{
  cleanup_json json_t *body = NULL;
  struct mc_client cl;
  const char *colon = strchr (image, ':');
  json_t *v;
  size_t i;
  int ret;

  /* The image is the remote's own (by alias or fingerprint): copying one
     from another server is not done.  */
  if (colon)
    image = colon + 1;
  body = json_pack ("{s:s, s:{s:s, s:s}, s:b, s:s}", "name", name, "source", "type", "image",
                    strspn (image, "0123456789abcdef") == strlen (image) && strlen (image) >= 12 ? "fingerprint"
                                                                                                 : "alias",
                    image, "ephemeral", ephemeral, "type", "container");
  if ((v = json_object_get (overrides, "config")) != NULL)
    json_object_set (body, "config", v);
  if ((v = json_object_get (overrides, "devices")) != NULL)
    json_object_set (body, "devices", v);
  if (profiles)
    {
      json_t *p = json_array ();

      for (i = 0; i < n_profiles; i++)
        json_array_append_new (p, json_string (profiles[i]));
      json_object_set_new (body, "profiles", p);
    }
  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  printf ("Creating %s\n", name);
  fflush (stdout);
  ret = mc_client_call (&cl, "POST", "/1.0/instances", body, NULL, err);
  mc_client_release (&cl);
  if (ret == 0 && start)
    {
      printf ("Starting %s\n", name);
      fflush (stdout);
      ret = cli_remote_state (remote, name, "start", false, -1, err);
    }
  return ret;
}

int
cli_remote_exec (const char *remote, const struct mc_exec_request *req, int *status, mc_error_t *err)
{
  cleanup_json json_t *body = NULL;
  json_t *cmd = json_array (), *e = json_object ();
  struct mc_client cl;
  struct winsize w = { 0 };
  const char *term = getenv ("TERM");
  size_t i;
  int ret;

  for (i = 0; req->argv[i]; i++)
    json_array_append_new (cmd, json_string (req->argv[i]));
  /* A terminal's type is ours, as LXD's client passes it.  */
  if (req->pty && term && *term)
    json_object_set_new (e, "TERM", json_string (term));
  for (i = 0; i < req->n_env; i++)
    {
      const char *eq = strchr (req->env[i], '=');

      if (eq)
        {
          cleanup_free char *key = xstrndup (req->env[i], (size_t) (eq - req->env[i]));

          json_object_set_new (e, key, json_string (eq + 1));
        }
    }
  if (req->pty && ioctl (STDOUT_FILENO, TIOCGWINSZ, &w) < 0)
    {
      w.ws_col = 80;
      w.ws_row = 24;
    }
  body = json_pack ("{s:o, s:o, s:b, s:b, s:b, s:I, s:I, s:i, s:i}", "command", cmd, "environment", e,
                    "wait-for-websocket", 1, "record-output", 0, "interactive", req->pty, "user",
                    (json_int_t) req->uid, "group", (json_int_t) req->gid, "width", (int) w.ws_col, "height",
                    (int) w.ws_row);
  if (req->cwd)
    json_object_set_new (body, "cwd", json_string (req->cwd));
  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  fflush (stdout);
  {
    cleanup_free char *enc = cli_url_segment (req->name);

    ret = mc_client_exec (&cl, enc, body, req->no_stdin, status, err);
  }
  mc_client_release (&cl);
  return ret;
}

static char *
url_escape (const char *s, const char *keep)
{
  char *out = xmalloc (3 * strlen (s) + 1), *o = out;

  for (; *s; s++)
    if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr (keep, *s))
      *o++ = *s;
    else
      o += sprintf (o, "%%%02X", (unsigned char) *s);
  *o = '\0';
  return out;
}

char *
cli_url_escape (const char *s)
{
  return url_escape (s, "/-_.~");
}

char *
cli_url_segment (const char *s)
{
  /* "." and ".." would be steps in the path, not names.  */
  if (strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return xstrdup (s[1] ? "%2E%2E" : "%2E");
  return url_escape (s, "-_.~");
}

/* ---- config and snapshots on a remote -------------------------------------------- */

/* METHOD /1.0/KIND/NAME (TAIL after it) with BODY on REMOTE; *OUT (may
 * be NULL) the answer's metadata.  */
int
cli_remote_call (const char *remote, const char *method, const char *path, json_t *body, json_t **out,
                 mc_error_t *err)
{
  struct mc_client cl;
  int ret;

  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  ret = mc_client_call (&cl, method, path, body, out, err);
  mc_client_release (&cl);
  return ret;
}

int
cli_remote_object_call (const char *remote, const char *method, const char *kind, const char *name,
                        const char *tail, json_t *body, json_t **out, mc_error_t *err)
{
  cleanup_free char *enc = cli_url_segment (name), *path = xasprintf ("/1.0/%s/%s%s", kind, enc, tail);

  return cli_remote_call (remote, method, path, body, out, err);
}

int
cli_remote_instance_call (const char *remote, const char *method, const char *name, const char *tail, json_t *body,
                          json_t **out, mc_error_t *err)
{
  return cli_remote_object_call (remote, method, "instances", name, tail, body, out, err);
}

/* What of DOC (an instance or a profile as the API has it) a PUT takes
 * back.  */
static json_t *
writable_fields (json_t *doc, bool profile)
{
  static const char *const instance_fields[] = { "config", "devices", "profiles", "ephemeral", "description", NULL };
  static const char *const profile_fields[] = { "config", "devices", "description", NULL };
  const char *const *f;
  json_t *out = json_object ();

  for (f = profile ? profile_fields : instance_fields; *f; f++)
    if (json_object_get (doc, *f))
      json_object_set (out, *f, json_object_get (doc, *f));
  return out;
}

/* The instance as `config show` prints it (LXD's fields; EXPANDED: the
 * profiles stacked), or another object (a profile, a network) as the API
 * has it.  */
json_t *
cli_remote_config_doc (const char *remote, const char *kind, const char *name, bool expanded, mc_error_t *err)
{
  cleanup_json json_t *inst = NULL;

  if (strcmp (kind, "instances") != 0)
    {
      json_t *doc = NULL;

      return cli_remote_object_call (remote, "GET", kind, name, "", NULL, &doc, err) < 0 ? NULL : doc;
    }
  if (cli_remote_instance_call (remote, "GET", name, "", NULL, &inst, err) < 0)
    return NULL;
  return json_pack ("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "architecture", json_object_get (inst, "architecture"),
                    "config", json_object_get (inst, expanded ? "expanded_config" : "config"), "devices",
                    json_object_get (inst, expanded ? "expanded_devices" : "devices"), "ephemeral",
                    json_object_get (inst, "ephemeral"), "profiles", json_object_get (inst, "profiles"), "stateful",
                    json_object_get (inst, "stateful"), "description", json_object_get (inst, "description"));
}

int
cli_remote_config_set (const char *remote, const char *kind, const char *name, const char *const *keys,
                       const char *const *values, size_t n, mc_error_t *err)
{
  cleanup_json json_t *body = json_pack ("{s:{}}", "config");
  size_t i;

  for (i = 0; i < n; i++)
    json_object_set_new (json_object_get (body, "config"), keys[i], json_string (values[i]));
  return cli_remote_object_call (remote, "PATCH", kind, name, "", body, NULL, err);
}

int
cli_remote_config_unset (const char *remote, const char *kind, const char *name, const char *const *keys, size_t n,
                         mc_error_t *err)
{
  cleanup_json json_t *doc = NULL, *body = NULL;
  json_t *config;
  size_t i;

  if (cli_remote_object_call (remote, "GET", kind, name, "", NULL, &doc, err) < 0)
    return -1;
  body = writable_fields (doc, strcmp (kind, "profiles") == 0);
  config = json_deep_copy (json_object_get (doc, "config"));
  if (config == NULL)
    config = json_object ();
  for (i = 0; i < n; i++)
    if (json_object_del (config, keys[i]) < 0)
      {
        json_decref (config);
        return mc_make_error (err, 0, "config key `%s` is not set on `%s`", keys[i], name);
      }
  json_object_set_new (body, "config", config);
  return cli_remote_object_call (remote, "PUT", kind, name, "", body, NULL, err);
}

int
cli_remote_replace (const char *remote, const char *kind, const char *name, json_t *doc, mc_error_t *err)
{
  cleanup_json json_t *body = writable_fields (doc, strcmp (kind, "profiles") == 0);

  return cli_remote_object_call (remote, "PUT", kind, name, "", body, NULL, err);
}

int
cli_remote_change_device (const char *remote, const char *kind, const char *name,
                          const struct mc_config_change *change, mc_error_t *err)
{
  cleanup_json json_t *obj = NULL, *doc = NULL;
  bool container = strcmp (kind, "instances") == 0;

  if (cli_remote_object_call (remote, "GET", kind, name, "", NULL, &obj, err) < 0)
    return -1;
  doc = json_deep_copy (obj);
  if (mc_config_change_device (doc, container ? json_object_get (obj, "expanded_devices") : NULL, change, container,
                               err) < 0)
    return -1;
  return cli_remote_replace (remote, kind, name, doc, err);
}
