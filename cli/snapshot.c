/* minictr snapshot | restore | copy | move | publish | export | import:
 * LXD's verbs for snapshots, copies, images made from containers and
 * backups.  Each runs with the (source) container's lock held
 * (cli_with_lock); only import, which makes a new container, does not.  */
#include "cli/cli.h"
#include "runtime/history/backup.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"
#include "runtime/monitor.h"
#include "cli/output.h"
#include "runtime/history/publish.h"
#include "runtime/history/snapshot.h"
#include "runtime/state.h"
#include "lib/utils.h"
#include "api/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* ---- snapshot ------------------------------------------------------------ */

struct snap_op
{
  char op;            /* c(reate) s(how) d(elete) r(ename) l(ist) */
  const char *snap;   /* or NULL: LXD's next snapN */
  const char *to;     /* rename */
  bool no_expiry, reuse;
  enum cli_format fmt; /* list */
};

/* LIST (the store's, or a remote's: LXD's snapshots) as FMT; LIST is
 * taken.  */
static int
print_snaps (json_t *list, enum cli_format fmt, mc_error_t *err)
{
  static const char *const headers[] = { "NAME", "TAKEN AT", "EXPIRES AT" };
  struct cli_table t;
  json_t *v;
  size_t i;
  int r;

  if (list == NULL)
    return -1;
  cli_table_init (&t, headers, 3);
  json_array_foreach (list, i, v)
    {
      const char *row[3] = { json_string_value (json_object_get (v, "name")),
                             json_string_value (json_object_get (v, "created_at")),
                             json_string_value (json_object_get (v, "expires_at")) ?: "" };
      cli_table_add (&t, row);
    }
  r = cli_print (fmt, &t, list, err);
  cli_table_release (&t);
  json_decref (list);
  return r;
}

static int
snap_list (struct mc_store *s, const char *name, enum cli_format fmt, mc_error_t *err)
{
  return print_snaps (mc_snapshot_list (s, name, err), fmt, err);
}

static int
do_snap (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  const struct snap_op *o = data;
  cleanup_free char *made = NULL;
  json_t *doc;
  int r;

  switch (o->op)
    {
    case 'c':
      /* LXD's --reuse: a snapshot of that name is replaced.  */
      if (o->reuse && o->snap)
        {
          mc_error_t none = NULL;

          if ((doc = mc_snapshot_get (s, name, o->snap, &none)) != NULL)
            {
              json_decref (doc);
              if (mc_snapshot_delete (s, name, o->snap, err) < 0)
                return -1;
            }
          mc_error_release (&none);
        }
      if (mc_snapshot_create (s, name, o->snap, o->no_expiry, &made, err) < 0)
        return -1;
      printf ("Snapshot %s/%s created\n", name, made);
      return 0;
    case 'l':
      return snap_list (s, name, o->fmt, err);
    case 's':
      if ((doc = mc_snapshot_get (s, name, o->snap, err)) == NULL)
        return -1;
      r = cli_print_yaml (doc, err);
      json_decref (doc);
      return r;
    case 'd':
      if (mc_snapshot_delete (s, name, o->snap, err) < 0)
        return -1;
      printf ("Snapshot %s/%s deleted\n", name, o->snap);
      return 0;
    default:
      return mc_snapshot_rename (s, name, o->snap, o->to, err);
    }
}

int
cli_cmd_snapshot (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct snap_op o = { 0 };
  const char *sub;
  char *name, *snap = NULL;
  int n;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (cli_has (&a, "stateful"))
    return mc_make_usage_error (err, "snapshot --stateful: a stateful snapshot needs CRIU, which minictr does not use");
  sub = argv[optind];
  n = argc - optind;
  name = argv[optind + 1];
  if (strcmp (sub, "list") == 0 && n == 2)
    o.op = 'l';
  else if (strcmp (sub, "create") == 0 && n >= 2)
    o = (struct snap_op) { 'c', n == 3 ? argv[optind + 2] : NULL, NULL, false, false, CLI_FORMAT_TABLE };
  else if ((strcmp (sub, "show") == 0 || strcmp (sub, "delete") == 0) && n == 2)
    o.op = sub[0];
  else if (strcmp (sub, "rename") == 0 && n == 3)
    {
      /* LXD accepts NAME/NEW as well as NEW.  */
      char *to = argv[optind + 2], *slash = strchr (to, '/');

      o.op = 'r';
      o.to = slash ? slash + 1 : to;
    }
  else if (n <= 2)
    {
      o = (struct snap_op) { 'c', n == 2 ? argv[optind + 1] : NULL, NULL, false, false, CLI_FORMAT_TABLE };
      name = argv[optind];
    }
  else
    return mc_make_usage_error (err, "snapshot: wrong arguments (usage: minictr %s)", cmd->usage);
  if (o.op == 's' || o.op == 'd' || o.op == 'r')
    {
      if (split_snap (cmd, name, &snap, err) < 0)
        return -1;
      o.snap = snap;
    }
  if (cli_has (&a, "format") && cli_parse_format (cli_value (&a, "format"), &o.fmt, err) < 0)
    return -1;
  o.no_expiry = cli_has (&a, "no-expiry");
  o.reuse = cli_has (&a, "reuse");
  if (a.remote)
    {
      cleanup_json json_t *body = NULL;

      cleanup_free char *tail = NULL;
      json_t *doc = NULL;
      int r;

      if (o.op == 'r' || o.no_expiry || o.reuse)
        return mc_make_usage_error (err, "snapshot on a remote: --no-expiry, --reuse and rename are not "
                                         "supported there");
      if (o.op == 'l')
        return cli_remote_instance_call (a.remote, "GET", name, "/snapshots?recursion=1", NULL, &doc, err) < 0
                 ? -1 : print_snaps (doc, o.fmt, err);
      if (o.op == 'c')
        {
          body = json_pack ("{s:s}", "name", o.snap ? o.snap : "");
          return cli_remote_instance_call (a.remote, "POST", name, "/snapshots", body, NULL, err);
        }
      {
        cleanup_free char *enc = cli_url_segment (o.snap);

        tail = xasprintf ("/snapshots/%s", enc);
      }
      if (o.op == 's')
        {
          if (cli_remote_instance_call (a.remote, "GET", name, tail, NULL, &doc, err) < 0)
            return -1;
          r = cli_print_yaml (doc, err);
          json_decref (doc);
          return r;
        }
      if (cli_remote_instance_call (a.remote, "DELETE", name, tail, NULL, NULL, err) < 0)
        return -1;
      printf ("Snapshot %s/%s deleted\n", name, o.snap);
      return 0;
    }
  return cli_with_lock (name, do_snap, &o, err);
}

/* ---- restore, copy, move ------------------------------------------------- */

struct restore_opts
{
  const char *snap;
  bool force;
};

static int
do_restore (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  const struct restore_opts *o = data;

  /* --force is kept for the scripts that passed it when minictr asked
   * for it; a running container is restored as LXD's is.  */
  (void) o->force;
  return mc_container_restore (s, name, o->snap, err);
}

int
cli_cmd_restore (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct restore_opts o = { 0 };

  CLI_PARSE (cmd, argc, argv, &a, err);
  o.force = cli_has (&a, "force");
  o.snap = argv[optind + 1];
  if (a.remote)
    {
      cleanup_json json_t *body = json_pack ("{s:s}", "restore", o.snap);

      return cli_remote_instance_call (a.remote, "PUT", argv[optind], "", body, NULL, err);
    }
  {
    /* A running container restored is started again.  */
    cleanup_json json_t *names = json_pack ("[s]", argv[optind]);

    if (cli_seal_if_privileged (names, NULL, err) < 0)
      return -1;
  }
  return cli_with_lock (argv[optind], do_restore, &o, err);
}

static int
do_copy (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  (void) name;
  return mc_container_copy (s, data, err);
}

/* copy on a remote: LXD's POST /1.0/instances from a copy of SRC[/SNAP]
 * there (its -c keys, profiles and --ephemeral with it).  */
static int
remote_copy (const struct cli_args *a, const struct mc_copy_request *req, mc_error_t *err)
{
  cleanup_free char *src = req->snap ? xasprintf ("%s/%s", req->src, req->snap) : xstrdup (req->src);
  cleanup_json json_t *body = NULL;
  size_t i;

  if (req->n_device_keys > 0 || json_object_get (req->overrides, "devices"))
    return mc_make_usage_error (err, "copy on a remote: -d is not supported there");
  body = json_pack ("{s:s, s:{s:s, s:s, s:b}, s:b}", "name", req->dst, "source", "type", "copy", "source", src,
                    "instance_only", req->instance_only, "ephemeral", req->ephemeral);
  if (json_object_get (req->overrides, "config"))
    json_object_set (body, "config", json_object_get (req->overrides, "config"));
  if (json_object_get (req->overrides, "profiles"))
    json_object_set (body, "profiles", json_object_get (req->overrides, "profiles"));
  else if (req->profiles)
    {
      json_t *p = json_array ();

      for (i = 0; i < req->n_profiles; i++)
        json_array_append_new (p, json_string (req->profiles[i]));
      json_object_set_new (body, "profiles", p);
    }
  return cli_remote_call (a->remote, "POST", "/1.0/instances", body, NULL, err);
}

int
cli_cmd_copy (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_copy_request req = { 0 };
  cleanup_json json_t *overrides = NULL;
  char *snap = NULL;

  CLI_PARSE (cmd, argc, argv, &a, err);
  req.ephemeral = cli_has (&a, "ephemeral");
  req.instance_only = cli_has (&a, "instance-only");
  req.profiles = cli_values (&a, "profile", &req.n_profiles);
  req.device_keys = cli_values (&a, "device", &req.n_device_keys);
  if (strchr (argv[optind], '/') && split_snap (cmd, argv[optind], &snap, err) < 0)
    return -1;
  req.src = argv[optind];
  req.snap = snap;
  req.dst = argv[optind + 1];
  if (req.n_profiles == 0)
    req.profiles = NULL;
  if (cli_create_overrides (&a, &overrides, err) < 0)
    return -1;
  req.overrides = overrides;
  if (a.remote)
    return remote_copy (&a, &req, err);
  return cli_with_lock (req.src, do_copy, &req, err);
}

static int
do_move (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  return mc_container_rename (s, name, data, err);
}

int
cli_cmd_move (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int r = cli_parse (cmd, argc, argv, &a, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  /* On a remote: LXD's rename (POST the new name), within that server.  */
  if (a.remote)
    {
      cleanup_json json_t *body = json_pack ("{s:s}", "name", argv[optind + 1]);

      return cli_remote_instance_call (a.remote, "POST", argv[optind], "", body, NULL, err);
    }
  return cli_with_lock (argv[optind], do_move, argv[optind + 1], err);
}

/* ---- publish ----------------------------------------------------------------- */

static int
do_publish (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  char fp[65];

  (void) name;
  if (mc_container_publish (s, data, fp, err) < 0)
    return -1;
  printf ("Instance published with fingerprint: %s\n", fp);
  return 0;
}

/* REQ on REMOTE: LXD's POST /1.0/images with the instance as its source.
 * A running container needs --force, as here (the server freezes it
 * while it is read).  */
static int
remote_publish (const char *remote, const struct mc_publish_request *req, mc_error_t *err)
{
  cleanup_json json_t *props = json_object (), *aliases = json_array (), *body = NULL, *md = NULL;
  cleanup_free char *source = req->snap ? xasprintf ("%s/%s", req->name, req->snap) : xstrdup (req->name);
  const char *fp;
  size_t i;

  for (i = 0; i < req->n_properties; i++)
    {
      const char *eq = strchr (req->properties[i], '=');

      if (eq == NULL || eq == req->properties[i])
        return mc_make_usage_error (err, "publish: expected property=value, got `%s`", req->properties[i]);
      json_object_setn_new (props, req->properties[i], (size_t) (eq - req->properties[i]), json_string (eq + 1));
    }
  for (i = 0; i < req->n_aliases; i++)
    json_array_append_new (aliases, json_pack ("{s:s, s:s}", "name", req->aliases[i], "description", ""));
  if (req->snap == NULL && !req->force)
    {
      cleanup_json json_t *inst = NULL;
      cleanup_free char *enc = cli_url_segment (req->name), *path = xasprintf ("/1.0/instances/%s", enc);

      if ((inst = cli_remote_get (remote, path, err)) == NULL)
        return -1;
      if (json_integer_value (json_object_get (inst, "status_code")) != 102)
        return mc_make_error (err, 0, "container `%s` is running; publish --force freezes it while it is read",
                              req->name);
    }
  body = json_pack ("{s:{s:s, s:s}, s:O, s:O}", "source", "type", req->snap ? "snapshot" : "instance", "name",
                    source, "properties", props, "aliases", aliases);
  if (cli_remote_call (remote, "POST", "/1.0/images", body, &md, err) < 0)
    return mc_error_prefix (err, "publish `%s`", source);
  if ((fp = json_string_value (json_object_get (md, "fingerprint"))) == NULL)
    return mc_make_error (err, 0, "publish `%s`: remote `%s` did not say the image's fingerprint", source, remote);
  printf ("Instance published with fingerprint: %s\n", fp);
  return 0;
}

int
cli_cmd_publish (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_publish_request req = { 0 };
  char *snap = NULL;

  CLI_PARSE (cmd, argc, argv, &a, err);
  req.aliases = cli_values (&a, "alias", &req.n_aliases);
  req.force = cli_has (&a, "force");
  if (strchr (argv[optind], '/') && split_snap (cmd, argv[optind], &snap, err) < 0)
    return -1;
  req.name = argv[optind];
  req.snap = snap;
  req.properties = (const char *const *) argv + optind + 1;
  req.n_properties = (size_t) (argc - optind - 1);
  if (a.remote)
    return remote_publish (a.remote, &req, err);
  return cli_with_lock (req.name, do_publish, &req, err);
}

/* ---- export, import -------------------------------------------------------------- */

struct export_opts
{
  char *path;
  bool instance_only;
};

static int
do_export (struct mc_store *s, const char *name, void *data, mc_error_t *err)
{
  const struct export_opts *o = data;

  if (mc_backup_export (s, name, o->path, o->instance_only, err) < 0)
    return -1;
  printf ("Backup exported successfully to %s\n", o->path);
  return 0;
}

/* NAME's backup made by REMOTE and downloaded to O->path, LXD's client's
 * way: a backup made there (under a name of ours, to expire in a day),
 * its file fetched (through a temp file renamed into place), the backup
 * deleted there, whatever happened.  */
static int
remote_export (const char *remote, const char *name, const struct export_opts *o, mc_error_t *err)
{
  cleanup_free char *enc = cli_url_segment (name), *tmp = NULL, *backup = NULL, *base = NULL;
  cleanup_json json_t *body = NULL;
  struct mc_client_xfer x = { .in_fd = -1, .raw = true };
  unsigned char rnd[4] = { 0 };
  struct mc_client cl;
  char expires[32];
  time_t t = time (NULL) + 24 * 3600;
  struct tm tm;
  int ret;

  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    memcpy (rnd, &(pid_t){ getpid () }, sizeof (rnd));
  backup = xasprintf ("export-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
  gmtime_r (&t, &tm);
  strftime (expires, sizeof (expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
  body = json_pack ("{s:s, s:s, s:b}", "name", backup, "expires_at", expires, "instance_only", o->instance_only);
  base = xasprintf ("/1.0/instances/%s/backups", enc);
  if (cli_remote_client_open (remote, &cl, err) < 0)
    return -1;
  if (mc_client_call (&cl, "POST", base, body, NULL, err) < 0)
    {
      mc_client_release (&cl);
      return -1;
    }
  {
    cleanup_free char *url = xasprintf ("%s/%s/export", base, backup), *del = xasprintf ("%s/%s", base, backup);
    mc_error_t e = NULL;

    tmp = xasprintf ("%s.tmp-%d", o->path, (int) getpid ());
    x.out_fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (x.out_fd < 0)
      ret = mc_make_error (err, errno, "create `%s`", tmp);
    else
      {
        ret = mc_client_xfer (&cl, "GET", url, &x, err);
        if (ret == 0 && (fchmod (x.out_fd, 0644) < 0 || fsync (x.out_fd) < 0))
          ret = mc_make_error (err, errno, "write `%s`", o->path);
        close (x.out_fd);
        if (ret == 0 && rename (tmp, o->path) < 0)
          ret = mc_make_error (err, errno, "rename `%s` to `%s`", tmp, o->path);
        if (ret < 0)
          unlink (tmp);
      }
    free (x.data);
    if (mc_client_call (&cl, "DELETE", del, NULL, NULL, &e) < 0)
      {
        if (ret == 0)
          fprintf (stderr, "minictr: warning: the backup `%s` of `%s` stays on remote `%s`: %s\n", backup, name,
                   remote, e->msg);
        mc_error_release (&e);
      }
  }
  mc_client_release (&cl);
  if (ret < 0)
    return -1;
  printf ("Backup exported successfully to %s\n", o->path);
  return 0;
}

int
cli_cmd_export (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct export_opts o = { 0 };
  int ret;

  CLI_PARSE (cmd, argc, argv, &a, err);
  o.instance_only = cli_has (&a, "instance-only");
  o.path = argc - optind == 2 ? xstrdup (argv[optind + 1]) : xasprintf ("%s.tar.gz", argv[optind]);
  ret = a.remote ? remote_export (a.remote, argv[optind], &o, err) : cli_with_lock (argv[optind], do_export, &o, err);
  free (o.path);
  return ret;
}

/* The backup FILE imported by REMOTE (as NAME, or the name it had):
 * LXD's POST /1.0/instances with it as the body.  */
static int
remote_import (const char *remote, const char *file, const char *name, mc_error_t *err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  struct mc_client_xfer x = { .in_fd = fd, .out_fd = -1 };
  cleanup_json json_t *md = NULL;
  struct mc_client cl;
  struct stat st;
  int ret;

  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", file);
  if (!S_ISREG (st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a regular file", file);
  x.in_len = st.st_size;
  x.headers = name ? json_pack ("{s:s}", "X-LXD-name", name) : json_object ();
  if (cli_remote_client_open (remote, &cl, err) < 0)
    {
      json_decref (x.headers);
      return -1;
    }
  ret = mc_client_upload (&cl, "/1.0/instances", &x, &md, err);
  mc_client_release (&cl);
  json_decref (x.headers);
  free (x.data);
  if (ret < 0)
    return -1;
  printf ("Container %s imported\n", json_string_value (json_object_get (md, "name")) ? json_string_value (json_object_get (md, "name")) : name ? name : "");
  return 0;
}

int
cli_cmd_import (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_free char *made = NULL;
  struct mc_store s;
  int r;

  CLI_PARSE (cmd, argc, argv, &a, err);
  if (a.remote)
    {
      const char *name = argc - optind == 2 ? argv[optind + 1] : NULL;

      if (cli_has (&a, "allow-privileged"))
        return mc_make_usage_error (err, "import --allow-privileged: not on a remote (its server refuses a "
                                         "privileged backup; import it there with `minictr import`)");
      return remote_import (a.remote, argv[optind], name, err);
    }
  if (mc_store_open (&s, err) < 0)
    return -1;
  r = mc_backup_import (&s, argv[optind], NULL, argc - optind == 2 ? argv[optind + 1] : NULL,
                        cli_has (&a, "allow-privileged"), &made, err);
  mc_store_close (&s);
  if (r == 0)
    printf ("Container %s imported\n", made);
  return r;
}
