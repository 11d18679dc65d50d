/* `minictr file push|pull|edit|delete|create`: LXD's `lxc file`.  Only
 * arguments here; the work is in runtime/files/file.c.  */
#include "api/client.h"
#include "cli/cli.h"
#include "runtime/files/file.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
print_warning (void *data, const char *msg)
{
  (void) data;
  fflush (stdout);
  fprintf (stderr, "minictr: warning: %s\n", msg);
}

static int
parse_id (const char *s, const char *what, uint32_t *out, mc_error_t *err)
{
  char *end;
  unsigned long v;

  if (*s < '0' || *s > '9')
    return mc_make_usage_error (err, "invalid %s `%s`: expected a number", what, s);
  v = strtoul (s, &end, 10);
  if (*end != '\0' || v >= MC_FILE_ID_UNSET)
    return mc_make_usage_error (err, "invalid %s `%s`: expected a number", what, s);
  *out = (uint32_t) v;
  return 0;
}

struct file_args
{
  struct mc_file_opts o;
  enum mc_file_type type;
  bool type_given;
  char *remote;        /* the names' remote (push, pull), or NULL */
};

/* One flag of the file commands (NAME, with each of its VALUES).  */
static int
file_option (struct file_args *fa, const char *name, const char *const *values, mc_error_t *err)
{
  for (; *values; values++)
    {
      const char *v = *values;

      if (strcmp (name, "recursive") == 0)
        fa->o.recursive = true;
      else if (strcmp (name, "create-dirs") == 0)
        fa->o.parents = true;
      else if (strcmp (name, "force") == 0)
        fa->o.force = true;
      else if (strcmp (name, "uid") == 0 && parse_id (v, "--uid", &fa->o.uid, err) < 0)
        return -1;
      else if (strcmp (name, "gid") == 0 && parse_id (v, "--gid", &fa->o.gid, err) < 0)
        return -1;
      else if (strcmp (name, "mode") == 0 && mc_file_parse_mode (v, &fa->o.mode, err) < 0)
        return -1;
      else if (strcmp (name, "type") == 0)
        {
          fa->type_given = true;
          if (strcmp (v, "file") == 0)
            fa->type = MC_FILE_TYPE_FILE;
          else if (strcmp (v, "directory") == 0)
            fa->type = MC_FILE_TYPE_DIRECTORY;
          else if (strcmp (v, "symlink") == 0)
            fa->type = MC_FILE_TYPE_SYMLINK;
          else
            return mc_make_usage_error (err, "invalid --type `%s` (use file, directory or symlink)", v);
        }
    }
  return 0;
}

/* Parse the flags of CMD (its table's); returns 1 when --help was
 * printed.  */
static int
parse_flags (const struct cli_command *cmd, int argc, char **argv, struct file_args *fa, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  int r, i;

  memset (fa, 0, sizeof (*fa));
  fa->o.uid = fa->o.gid = MC_FILE_ID_UNSET;
  fa->o.mode = -1;
  fa->o.warn = print_warning;
  if ((r = cli_parse (cmd, argc, argv, &a, err)) != 0)
    return r;
  for (i = 0; cmd->flags && cmd->flags[i].name; i++)
    if (file_option (fa, cmd->flags[i].name, cli_values (&a, cmd->flags[i].name, NULL), err) < 0)
      return -1;
  fa->remote = a.remote ? xstrdup (a.remote) : NULL;
  return 0;
}

/* ---- on a remote: LXD's /files, one regular file (or symlink) at a time ----- */

static const char *
base_name (const char *p)
{
  const char *b = strrchr (p, '/');

  return b ? b + 1 : p;
}

static int
remote_push (struct file_args *fa, char **srcs, int n, const struct mc_file_ref *dst, mc_error_t *err)
{
  struct mc_client cl;
  int i, ret = 0;

  if (fa->o.recursive || fa->o.parents)
    return mc_make_usage_error (err, "file push on a remote: -r and -p are not supported there");
  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *target = NULL, *url = NULL, *enc = NULL;
      cleanup_close int fd = -1;
      struct mc_client_xfer x = { .in_fd = -1, .out_fd = -1 };
      struct stat st;

      if ((fd = open (srcs[i], O_RDONLY | O_CLOEXEC)) < 0 || fstat (fd, &st) < 0)
        {
          ret = mc_make_error (err, errno, "open `%s`", srcs[i]);
          break;
        }
      if (!S_ISREG (st.st_mode))
        {
          ret = mc_make_error (err, 0, "`%s` is not a regular file (on a remote, only files are pushed)", srcs[i]);
          break;
        }
      target = dst->dir || n > 1 ? xasprintf ("%s/%s", dst->path, base_name (srcs[i])) : xstrdup (dst->path);
      enc = cli_url_escape (target);
      url = xasprintf ("/1.0/instances/%s/files?path=%s", dst->name, enc);
      x.headers = json_pack ("{s:s, s:s, s:o}", "X-LXD-type", "file", "X-LXD-write", "overwrite", "X-LXD-mode",
                             json_sprintf ("%04o", fa->o.mode >= 0 ? (unsigned) fa->o.mode
                                                                   : (unsigned) (st.st_mode & 07777)));
      if (fa->o.uid != MC_FILE_ID_UNSET)
        json_object_set_new (x.headers, "X-LXD-uid", json_sprintf ("%u", fa->o.uid));
      if (fa->o.gid != MC_FILE_ID_UNSET)
        json_object_set_new (x.headers, "X-LXD-gid", json_sprintf ("%u", fa->o.gid));
      x.in_fd = fd;
      x.in_len = st.st_size;
      ret = mc_client_xfer (&cl, "POST", url, &x, err);
      json_decref (x.headers);
      free (x.data);
    }
  mc_client_release (&cl);
  return ret;
}

/* LXD's file delete: a file, symlink or empty directory, one request
 * each (every argument was checked first).  */
static int
remote_delete (struct file_args *fa, const struct mc_file_ref *refs, int n, mc_error_t *err)
{
  struct mc_client cl;
  int i, ret = 0;

  if (fa->o.force)
    return mc_make_usage_error (err, "file delete on a remote: -f is not supported there (LXD removes a file or "
                                     "an empty directory)");
  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *name = cli_url_escape (refs[i].name), *enc = cli_url_escape (refs[i].path);
      cleanup_free char *url = xasprintf ("/1.0/instances/%s/files?path=%s", name, enc);

      ret = mc_client_call (&cl, "DELETE", url, NULL, NULL, err);
    }
  mc_client_release (&cl);
  return ret;
}

static int
remote_pull (struct file_args *fa, const struct mc_file_ref *refs, int n, const char *dest, mc_error_t *err)
{
  struct mc_client cl;
  struct stat st;
  bool dest_dir = stat (dest, &st) == 0 && S_ISDIR (st.st_mode);
  int i, ret = 0;

  if (fa->o.recursive || fa->o.parents)
    return mc_make_usage_error (err, "file pull on a remote: -r and -p are not supported there");
  if (n > 1 && !dest_dir)
    return mc_make_error (err, 0, "`%s` is not a directory (more than one file is pulled)", dest);
  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *target = dest_dir ? xasprintf ("%s/%s", dest, base_name (refs[i].path)) : xstrdup (dest);
      cleanup_free char *tmp = xasprintf ("%s.tmp-%d", target, (int) getpid ());
      cleanup_free char *enc = cli_url_escape (refs[i].path), *url = NULL;
      struct mc_client_xfer x = { .in_fd = -1, .out_fd = -1 };
      bool to_stdout = strcmp (dest, "-") == 0;

      url = xasprintf ("/1.0/instances/%s/files?path=%s", refs[i].name, enc);
      x.out_fd = to_stdout ? STDOUT_FILENO : open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (x.out_fd < 0)
        {
          ret = mc_make_error (err, errno, "create `%s`", tmp);
          break;
        }
      ret = mc_client_xfer (&cl, "GET", url, &x, err);
      if (ret == 0 && strcmp (x.type, "file") != 0)
        ret = mc_make_error (err, 0, "`%s%s` is a %s (on a remote, only files are pulled)", refs[i].name,
                             refs[i].path, x.type[0] ? x.type : "thing of unknown type");
      if (!to_stdout)
        {
          if (ret == 0 && (fchmod (x.out_fd, x.mode & 07777) < 0 || fsync (x.out_fd) < 0))
            ret = mc_make_error (err, errno, "write `%s`", target);
          close (x.out_fd);
          if (ret == 0 && rename (tmp, target) < 0)
            ret = mc_make_error (err, errno, "rename `%s` to `%s`", tmp, target);
          if (ret < 0)
            unlink (tmp);
        }
      free (x.data);
    }
  mc_client_release (&cl);
  return ret;
}

/* NAME/PATH arguments, all of them or none parsed.  */
static int
parse_refs (char **args, int n, struct mc_file_ref *refs, mc_error_t *err)
{
  int i, j;

  for (i = 0; i < n; i++)
    if (mc_file_parse_ref (args[i], &refs[i], err) < 0)
      {
        for (j = 0; j < i; j++)
          mc_file_ref_release (&refs[j]);
        return -1;
      }
  return 0;
}

static void
release_refs (struct mc_file_ref *refs, int n)
{
  int i;

  for (i = 0; i < n; i++)
    mc_file_ref_release (&refs[i]);
}

static int
cmd_push (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct mc_file_ref dst;
  struct file_args a;
  struct mc_store store;
  int r, n, ret;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  n = argc - optind;
  if (parse_refs (argv + argc - 1, 1, &dst, err) < 0)
    {
      free (a.remote);
      return -1;
    }
  if (a.remote)
    {
      ret = remote_push (&a, argv + optind, n - 1, &dst, err);
      mc_file_ref_release (&dst);
      free (a.remote);
      return ret;
    }
  if (mc_store_open (&store, err) < 0)
    {
      mc_file_ref_release (&dst);
      return -1;
    }
  ret = mc_file_push (&store, (const char *const *) argv + optind, (size_t) (n - 1), &dst, &a.o, err);
  mc_store_close (&store);
  mc_file_ref_release (&dst);
  return ret;
}

static int
cmd_pull (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_free struct mc_file_ref *refs = NULL;
  struct file_args a;
  struct mc_store store;
  int r, n, ret;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  n = argc - optind;
  if (argv[argc - 1][0] == '\0')
    return mc_make_usage_error (err, "file pull: the destination is empty");
  refs = xmalloc0 (sizeof (*refs) * (size_t) (n - 1));
  if (parse_refs (argv + optind, n - 1, refs, err) < 0)
    {
      free (a.remote);
      return -1;
    }
  if (a.remote)
    {
      ret = remote_pull (&a, refs, n - 1, argv[argc - 1], err);
      release_refs (refs, n - 1);
      free (a.remote);
      return ret;
    }
  ret = mc_store_open (&store, err);
  if (ret == 0)
    {
      ret = mc_file_pull (&store, refs, (size_t) (n - 1), argv[argc - 1], &a.o, err);
      mc_store_close (&store);
    }
  release_refs (refs, n - 1);
  return ret;
}

/* Run FN on one NAME/PATH argument with the store open.  */
static int
with_ref (const char *arg, int (*fn) (struct mc_store *, const struct mc_file_ref *, void *,
                                      mc_error_t *),
          void *data, mc_error_t *err)
{
  struct mc_file_ref ref;
  struct mc_store store;
  int ret;

  if (mc_file_parse_ref (arg, &ref, err) < 0)
    return -1;
  ret = mc_store_open (&store, err);
  if (ret == 0)
    {
      ret = fn (&store, &ref, data, err);
      mc_store_close (&store);
    }
  mc_file_ref_release (&ref);
  return ret;
}

static int
do_edit (struct mc_store *s, const struct mc_file_ref *ref, void *data, mc_error_t *err)
{
  (void) data;
  return mc_file_edit (s, ref, err);
}

static int
cmd_edit (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct file_args a;
  int r;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  return with_ref (argv[optind], do_edit, NULL, err);
}

static int
do_delete (struct mc_store *s, const struct mc_file_ref *ref, void *data, mc_error_t *err)
{
  return mc_file_delete (s, ref, data, err);
}

static int
cmd_delete (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_free struct mc_file_ref *refs = NULL;
  struct file_args a;
  int r, i, n;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  n = argc - optind;
  /* Every argument is checked before the first deletion.  */
  refs = xmalloc0 (sizeof (*refs) * (size_t) n);
  if (parse_refs (argv + optind, n, refs, err) < 0)
    return -1;
  if (a.remote)
    {
      r = remote_delete (&a, refs, n, err);
      release_refs (refs, n);
      free (a.remote);
      return r;
    }
  release_refs (refs, n);
  for (i = optind; i < argc; i++)
    if (with_ref (argv[i], do_delete, &a.o, err) < 0)
      return -1;
  return 0;
}

struct create_args
{
  struct file_args *a;
  const char *target;
};

static int
do_create (struct mc_store *s, const struct mc_file_ref *ref, void *data, mc_error_t *err)
{
  struct create_args *c = data;
  enum mc_file_type type = c->a->type;

  /* As LXD: a trailing slash asks for a directory.  */
  if (!c->a->type_given && ref->dir)
    type = MC_FILE_TYPE_DIRECTORY;
  return mc_file_create (s, ref, type, c->target, &c->a->o, err);
}

static int
cmd_create (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct file_args a;
  struct create_args c = { .a = &a };
  int r, n;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  n = argc - optind;
  if (a.type == MC_FILE_TYPE_SYMLINK)
    {
      if (n != 2)
        return mc_make_usage_error (err, "file create: a symlink needs NAME/PATH and its target (usage: minictr %s)", cmd->usage);
      c.target = argv[optind + 1];
    }
  else if (cli_want_args (cmd, n, 1, 1, err) < 0)
    return -1;
  return with_ref (argv[optind], do_create, &c, err);
}

#define ID_FLAGS \
  "      --uid UID          Owner inside the container (default 0)\n" \
  "      --gid GID          Group inside the container (default 0)\n"

static const struct cli_flag push_flags[] = {
  { "recursive", 'r', false }, { "create-dirs", 'p', false }, { "uid", 0, true }, { "gid", 0, true },
  { "mode", 0, true }, { NULL, 0, false }
};
static const struct cli_flag pull_flags[] = { { "recursive", 'r', false }, { "create-dirs", 'p', false }, { NULL, 0, false } };
static const struct cli_flag delete_flags[] = { { "force", 'f', false }, { NULL, 0, false } };
static const struct cli_flag create_flags[] = {
  { "create-dirs", 'p', false }, { "force", 'f', false }, { "type", 0, true }, { "uid", 0, true },
  { "gid", 0, true }, { "mode", 0, true }, { NULL, 0, false }
};

static const struct cli_command file_commands[] = {
  { "push", "file push", NULL, "file push SRC... NAME/PATH [-r] [-p] [--uid UID] [--gid GID] [--mode MODE]",
    "Copy host files into a container\n\n"
    "As scp: into NAME/PATH when it is a directory (it must be with several\n"
    "sources), else as NAME/PATH.  `-` reads standard input.  Files are owned by\n"
    "root inside unless --uid/--gid; modes are the sources' unless --mode.",
    "Flags:\n  -r, --recursive        Copy directories (symlinks are kept as symlinks)\n"
    "  -p, --create-dirs      Create missing parent directories\n" ID_FLAGS
    "      --mode MODE        Octal mode of the files (default: the source's)\n", cmd_push, push_flags, 2, CLI_ANY, false, CLI_NAMES_LAST, NULL },
  { "pull", "file pull", NULL, "file pull NAME/PATH... DEST [-r] [-p]",
    "Copy files from containers to the host\n\n"
    "As scp: into DEST when it is a directory (it must be with several sources),\n"
    "else as DEST.  `-` writes the files to standard output.  Modes are kept,\n"
    "except setuid and setgid bits; files belong to the user running minictr.",
    "Flags:\n  -r, --recursive        Copy directories (symlinks are kept as symlinks)\n"
    "  -p, --create-dirs      Create missing parent directories of DEST\n", cmd_pull, pull_flags, 2, CLI_ANY, false, CLI_NAMES_BUT_LAST, NULL },
  { "edit", "file edit", NULL, "file edit NAME/PATH",
    "Edit a file in a container with $VISUAL, $EDITOR or vi\n\n"
    "The file is copied to a private temp file and pushed back, keeping its\n"
    "mode and owner, only when its content changed.", NULL, cmd_edit, NULL, 1, 1, false, CLI_NAME (0), NULL },
  { "delete", "file delete", "rm", "file delete NAME/PATH... [-f]",
    "Delete files, symlinks or empty directories in containers",
    "Flags:\n  -f, --force            Delete directories with everything in them\n", cmd_delete, delete_flags, 1, CLI_ANY, false, CLI_NAMES_ALL, NULL },
  { "create", "file create", NULL,
    "file create NAME/PATH [SYMLINK-TARGET] [--type file|directory|symlink] [-p] [-f] [--uid UID] [--gid GID] [--mode MODE]",
    "Create an empty file, a directory or a symlink in a container",
    "Flags:\n      --type TYPE        file (default; directory when PATH ends with /),\n"
    "                         directory or symlink (then give its target)\n"
    "  -p, --create-dirs      Create missing parent directories\n"
    "  -f, --force            Replace an existing file or symlink; keep an existing directory\n"
    ID_FLAGS "      --mode MODE        Octal mode (default 0644, directories 0755)\n", cmd_create, create_flags, 1, 2, false, CLI_NAME (0), NULL },
};

int
cli_file (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("file", "Manage files in containers: push, pull, edit, delete, create.",
                       file_commands, sizeof (file_commands) / sizeof (file_commands[0]),
                       argc, argv, err);
}
