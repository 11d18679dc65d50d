/* `minictr file push|pull|edit|delete|create`: LXD's `lxc file`.  Only
 * arguments here; the work is in runtime/files/file.c.  */
#include "api/client.h"
#include "cli/cli.h"
#include "runtime/files/file.h"
#include "lib/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
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

/* PATH's last name, trailing slashes aside ("" for "/"; malloc'ed).  */
static char *
last_name (const char *path)
{
  size_t len = strlen (path);
  const char *b;

  while (len > 0 && path[len - 1] == '/')
    len--;
  for (b = path + len; b > path && b[-1] != '/'; b--)
    ;
  return xstrndup (b, (size_t) (path + len - b));
}

static const char *
base_name (const char *p)
{
  const char *b = strrchr (p, '/');

  return b ? b + 1 : p;
}

/* LXD's /files URL of PATH in container NAME (malloc'ed).  */
static char *
files_url (const char *name, const char *path)
{
  cleanup_free char *ename = cli_url_segment (name), *epath = cli_url_escape (path);

  return xasprintf ("/1.0/instances/%s/files?path=%s", ename, epath);
}

/* One entry POSTed as TARGET in container NAME: X-LXD-type TYPE, the body
 * LEN bytes of FD (-1: none), MODE, and the ids asked for (else root's,
 * LXD's default).  */
static int
post_entry (struct mc_client *cl, const struct file_args *fa, const char *name, const char *target,
            const char *type, int fd, off_t len, unsigned mode, mc_error_t *err)
{
  cleanup_free char *url = files_url (name, target);
  struct mc_client_xfer x = { .in_fd = fd, .in_len = fd >= 0 ? len : 0, .out_fd = -1 };
  cleanup_close int none = -1;
  int ret;

  /* No body is an empty one (Content-Length: 0), as LXD's client sends
     for a directory.  */
  if (fd < 0 && (x.in_fd = none = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open /dev/null");
  x.headers = json_pack ("{s:s, s:s, s:o}", "X-LXD-type", type, "X-LXD-write", "overwrite", "X-LXD-mode",
                         json_sprintf ("%04o", mode & 07777));
  if (fa->o.uid != MC_FILE_ID_UNSET)
    json_object_set_new (x.headers, "X-LXD-uid", json_sprintf ("%u", fa->o.uid));
  if (fa->o.gid != MC_FILE_ID_UNSET)
    json_object_set_new (x.headers, "X-LXD-gid", json_sprintf ("%u", fa->o.gid));
  ret = mc_client_xfer (cl, "POST", url, &x, err);
  json_decref (x.headers);
  free (x.data);
  return ret;
}

/* The entry ENTRY of directory AT (LABEL, for messages) pushed as TARGET: a file,
 * a symlink as a symlink, a directory with what is in it (with -r);
 * anything else is skipped with a warning, as the local push does.  */
static int
push_entry (struct mc_client *cl, const struct file_args *fa, const char *cname, int at, const char *entry,
            const char *target, const char *label, int depth, mc_error_t *err)
{
  struct stat st;

  /* A source named on the command line is followed, as by the local
     push; a link found in a directory is pushed as a link.  */
  if (fstatat (at, entry, &st, depth == 0 ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
    return mc_make_error (err, errno, "stat `%s`", label);
  if (S_ISLNK (st.st_mode))
    {
      char link[PATH_MAX];
      ssize_t n = readlinkat (at, entry, link, sizeof (link));
      cleanup_close int mfd = -1;

      if (n < 0 || (size_t) n >= sizeof (link))
        return mc_make_error (err, n < 0 ? errno : ENAMETOOLONG, "readlink `%s`", label);
      if ((mfd = memfd_create ("minictr-link", MFD_CLOEXEC)) < 0 || mc_write_all (mfd, link, (size_t) n) < 0
          || lseek (mfd, 0, SEEK_SET) < 0)
        return mc_make_error (err, errno, "the target of `%s`", label);
      return post_entry (cl, fa, cname, target, "symlink", mfd, n, 0777, err);
    }
  if (S_ISREG (st.st_mode))
    {
      cleanup_close int fd = openat (at, entry, O_RDONLY | (depth == 0 ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

      if (fd < 0 || fstat (fd, &st) < 0)
        return mc_make_error (err, errno, "open `%s`", label);
      if (!S_ISREG (st.st_mode))
        return mc_make_error (err, 0, "`%s` changed while it was pushed", label);
      return post_entry (cl, fa, cname, target, "file", fd, st.st_size,
                         fa->o.mode >= 0 ? (unsigned) fa->o.mode : (unsigned) st.st_mode, err);
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      int fd, ret;

      if (!fa->o.recursive)
        return mc_make_error (err, 0, "`%s` is a directory (use -r)", label);
      if (depth >= 256)
        return mc_make_error (err, 0, "`%s`: more than 256 levels of directories", label);
      if ((fd = openat (at, entry, O_RDONLY | O_DIRECTORY | (depth == 0 ? 0 : O_NOFOLLOW) | O_CLOEXEC)) < 0
          || (d = fdopendir (fd)) == NULL)
        {
          if (fd >= 0)
            close (fd);
          return mc_make_error (err, errno, "open `%s`", label);
        }
      if (post_entry (cl, fa, cname, target, "directory", -1, 0, (unsigned) st.st_mode, err) < 0)
        return -1;
      ret = 0;
      while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
        {
          cleanup_free char *t = NULL, *l = NULL;

          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          t = xasprintf ("%s/%s", target, de->d_name);
          l = xasprintf ("%s/%s", label, de->d_name);
          ret = push_entry (cl, fa, cname, dirfd (d), de->d_name, t, l, depth + 1, err);
        }
      if (ret == 0 && errno != 0)
        return mc_make_error (err, errno, "read the directory `%s`", label);
      return ret;
    }
  if (depth == 0)
    return mc_make_error (err, 0, "`%s` is not a regular file, directory or symlink", label);
  {
    cleanup_free char *msg = xasprintf ("skipped `%s`: not a regular file, directory or symlink", label);

    print_warning (NULL, msg);
  }
  return 0;
}

/* What PATH is in container NAME there: its X-LXD-type in TYPE (a
 * symlink's target in *TARGET when asked), or "" when it does not exist.  */
static int
remote_type (struct mc_client *cl, const char *name, const char *path, char type[32], char **target,
             mc_error_t *err)
{
  cleanup_free char *url = files_url (name, path);
  struct mc_client_xfer x = { .in_fd = -1, .out_fd = -1, .head_only = true };
  mc_error_t e = NULL;
  int ret;

  ret = mc_client_xfer (cl, "GET", url, &x, &e);
  type[0] = '\0';
  if (ret < 0 && x.status == 404)
    {
      free (x.data);
      mc_error_release (&e);
      return 0;
    }
  if (ret == 0)
    snprintf (type, 32, "%s", x.type);
  if (ret == 0 && target)
    *target = xstrndup (x.data ? x.data : "", x.len);
  free (x.data);
  return ret < 0 ? mc_error_propagate (err, &e) : 0;
}

/* What PATH is there with its symlinks followed (as the local push
 * follows its target), up to 16 of them.  */
static int
remote_type_followed (struct mc_client *cl, const char *name, const char *path, char type[32], mc_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  int hops;

  for (hops = 0; hops < 16; hops++)
    {
      cleanup_free char *target = NULL;
      char *slash;

      if (remote_type (cl, name, p, type, &target, err) < 0)
        return -1;
      if (strcmp (type, "symlink") != 0)
        return 0;
      if (target[0] == '/')
        {
          free (p);
          p = steal_pointer (&target);
          continue;
        }
      {
        cleanup_free char *dir = steal_pointer (&p);

        if ((slash = strrchr (dir, '/')) != NULL)
          *slash = '\0';
        p = xasprintf ("%s/%s", dir, target);
      }
    }
  return mc_make_error (err, ELOOP, "`%s%s`", name, path);
}

/* mkdir -p of PATH's parents there (LXD's push -p): those missing are
 * POSTed as directories (one that is there, a link to one included, is
 * left as it is).  */
static int
remote_parents (struct mc_client *cl, const struct file_args *fa, const char *name, const char *path,
                mc_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *slash, type[32];

  for (slash = strchr (p + 1, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      if (remote_type (cl, name, p, type, NULL, err) < 0
          || (type[0] == '\0' && post_entry (cl, fa, name, p, "directory", -1, 0, 0755, err) < 0))
        return -1;
      *slash = '/';
    }
  return 0;
}

static int
remote_push (struct file_args *fa, char **srcs, int n, const struct mc_file_ref *dst, mc_error_t *err)
{
  struct mc_client cl;
  char type[32] = "";
  int i, ret = 0;

  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  if (fa->o.parents)
    {
      /* The target's parents, or all of it when it is a directory.  */
      cleanup_free char *upto = dst->dir || n > 1 ? xasprintf ("%s/", dst->path) : xstrdup (dst->path);

      ret = remote_parents (&cl, fa, dst->name, upto, err);
    }
  /* Into a directory (`-r tree c/root/`, several sources) or as the
     target itself (cp's way, as the local push).  */
  if (ret == 0 && !dst->dir && n == 1)
    ret = remote_type_followed (&cl, dst->name, dst->path, type, err);
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *target = NULL, *real = NULL;
      const char *base = base_name (srcs[i]);

      /* `dir/`, `.`: the name is the real directory's.  */
      if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
        base = (real = realpath (srcs[i], NULL)) ? base_name (real) : "";
      target = dst->dir || n > 1 || strcmp (type, "directory") == 0 ? xasprintf ("%s/%s", dst->path, base)
                                                                      : xstrdup (dst->path);
      ret = push_entry (&cl, fa, dst->name, AT_FDCWD, srcs[i], target, srcs[i], 0, err);
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
      cleanup_free char *url = files_url (refs[i].name, refs[i].path);

      ret = mc_client_call (&cl, "DELETE", url, NULL, NULL, err);
    }
  mc_client_release (&cl);
  return ret;
}

/* A temp name in LOCAL's directory (short: LOCAL's name may be as long
 * as a name can be).  */
static char *
temp_beside (const char *local)
{
  const char *slash = strrchr (local, '/');
  unsigned char r[6] = { 0 };

  if (getrandom (r, sizeof (r), 0) != (ssize_t) sizeof (r))
    memcpy (r, &(pid_t){ getpid () }, sizeof (pid_t));
  return xasprintf ("%.*s.minictr-%02x%02x%02x%02x%02x%02x", slash ? (int) (slash - local + 1) : 0, local, r[0],
                    r[1], r[2], r[3], r[4], r[5]);
}

/* What a host file made from a container's may keep of MODE: never
 * setuid or setgid (as the local pull).  */
static mode_t
host_mode (unsigned mode)
{
  return (mode_t) (mode & 07777 & ~(unsigned) (S_ISUID | S_ISGID));
}

/* PATH of container NAME pulled to the host path LOCAL, through a temp
 * file renamed over it: a file (streamed), a symlink, or with -r a
 * directory and what is in it.  */
static int
pull_entry (struct mc_client *cl, const struct file_args *fa, const char *name, const char *path, const char *local,
            int depth, mc_error_t *err)
{
  cleanup_free char *url = files_url (name, path);
  cleanup_free char *tmp = temp_beside (local);
  cleanup_json json_t *doc = NULL, *seen = json_object ();
  struct mc_client_xfer x = { .in_fd = -1 };
  json_t *e;
  size_t i;
  int ret;

  if ((x.out_fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
    return mc_make_error (err, errno, "create `%s`", tmp);
  ret = mc_client_xfer (cl, "GET", url, &x, err);
  if (ret == 0 && strcmp (x.type, "file") == 0)
    {
      if (fchmod (x.out_fd, host_mode (x.mode)) < 0 || fsync (x.out_fd) < 0)
        ret = mc_make_error (err, errno, "write `%s`", local);
      close (x.out_fd);
      if (ret == 0 && rename (tmp, local) < 0)
        ret = mc_make_error (err, errno, "rename `%s` to `%s`", tmp, local);
      if (ret < 0)
        unlink (tmp);
      free (x.data);
      return ret;
    }
  close (x.out_fd);
  unlink (tmp);
  if (ret == 0 && strcmp (x.type, "symlink") == 0)
    {
      cleanup_free char *target = xstrndup (x.data ? x.data : "", x.len);

      if (symlink (target, tmp) < 0 || rename (tmp, local) < 0)
        {
          ret = mc_make_error (err, errno, "make the symlink `%s`", local);
          unlink (tmp);
        }
    }
  else if (ret == 0 && strcmp (x.type, "directory") == 0)
    {
      struct stat st;

      if (!fa->o.recursive)
        ret = mc_make_error (err, 0, "`%s%s` is a directory (use -r)", name, path);
      else if (depth >= 256)
        ret = mc_make_error (err, 0, "`%s%s`: more than 256 levels of directories", name, path);
      else if ((doc = json_loadb (x.data ? x.data : "", x.len, 0, NULL)) == NULL
               || !json_is_array (json_object_get (doc, "metadata")))
        ret = mc_make_error (err, 0, "`%s%s`: the server's list of the directory is not a list", name, path);
      /* Private while it is filled; its mode once it is complete.  */
      else if (mkdir (local, S_IRWXU) < 0 && (errno != EEXIST || lstat (local, &st) < 0 || !S_ISDIR (st.st_mode)))
        ret = mc_make_error (err, errno == EEXIST ? ENOTDIR : errno, "make the directory `%s`", local);
      json_array_foreach (json_object_get (doc, "metadata"), i, e)
        {
          const char *n = json_string_value (e);
          cleanup_free char *sub = NULL, *lsub = NULL;

          if (ret < 0)
            break;
          /* Plain names, each once: nothing is ever written twice, or
             outside DEST.  */
          if (n == NULL || strchr (n, '/') || strcmp (n, ".") == 0 || strcmp (n, "..") == 0 || *n == '\0'
              || json_object_get (seen, n) != NULL)
            {
              ret = mc_make_error (err, 0, "`%s%s`: the server named an entry `%s`", name, path, n ? n : "?");
              break;
            }
          json_object_set_new (seen, n, json_true ());
          sub = xasprintf ("%s%s%s", path, path[strlen (path) - 1] == '/' ? "" : "/", n);
          lsub = xasprintf ("%s/%s", local, n);
          ret = pull_entry (cl, fa, name, sub, lsub, depth + 1, err);
        }
      if (ret == 0 && chmod (local, host_mode (x.mode)) < 0)
        ret = mc_make_error (err, errno, "chmod `%s`", local);
    }
  else if (ret == 0)
    ret = mc_make_error (err, 0, "`%s%s` is a %s", name, path, x.type[0] ? x.type : "thing of unknown type");
  free (x.data);
  return ret;
}

static int
remote_pull (struct file_args *fa, const struct mc_file_ref *refs, int n, const char *dest, mc_error_t *err)
{
  struct mc_client cl;
  struct stat st;
  bool dest_dir = stat (dest, &st) == 0 && S_ISDIR (st.st_mode);
  bool to_stdout = strcmp (dest, "-") == 0;
  int i, ret = 0;

  if (n > 1 && !dest_dir && !to_stdout)
    return mc_make_error (err, 0, "`%s` is not a directory (more than one file is pulled)", dest);
  if (to_stdout && fa->o.recursive)
    return mc_make_usage_error (err, "file pull -r: the destination cannot be standard output");
  /* -p: DEST's missing directories (all of it when it takes several).  */
  if (fa->o.parents && !dest_dir && !to_stdout)
    {
      cleanup_free char *dir = xstrdup (dest);
      char *slash = strrchr (dir, '/');

      if (n == 1 && slash)
        *slash = '\0';
      if ((n > 1 || slash) && *dir && mc_mkdir_p (dir, 0755, err) < 0)
        return -1;
      dest_dir = stat (dest, &st) == 0 && S_ISDIR (st.st_mode);
    }
  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *last = last_name (refs[i].path);
      cleanup_free char *target = dest_dir ? xasprintf ("%s/%s", dest, last) : xstrdup (dest);
      cleanup_free char *url = NULL;
      struct mc_client_xfer x = { .in_fd = -1, .out_fd = STDOUT_FILENO };

      if (!to_stdout && dest_dir && *last == '\0')
        {
          ret = mc_make_error (err, 0, "`%s%s` has no name to take in `%s`: name the destination", refs[i].name,
                               refs[i].path, dest);
          continue;
        }
      if (!to_stdout)
        {
          ret = pull_entry (&cl, fa, refs[i].name, refs[i].path, target, 0, err);
          continue;
        }
      url = files_url (refs[i].name, refs[i].path);
      ret = mc_client_xfer (&cl, "GET", url, &x, err);
      if (ret == 0 && strcmp (x.type, "file") != 0)
        ret = mc_make_error (err, 0, "`%s%s` is a %s (only files go to standard output)", refs[i].name,
                             refs[i].path, x.type[0] ? x.type : "thing of unknown type");
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

/* file edit on a remote: pulled and pushed back (its mode and owner
 * kept) through the API.  */
struct remote_edit
{
  struct mc_client cl;
  struct file_args fa; /* the pulled file's owner, for the push */
  unsigned mode;
};

static int
remote_edit_pull (void *data, const struct mc_file_ref *ref, int fd, mc_error_t *err)
{
  struct remote_edit *e = data;
  cleanup_free char *url = files_url (ref->name, ref->path);
  struct mc_client_xfer x = { .in_fd = -1, .out_fd = fd };
  int ret;

  ret = mc_client_xfer (&e->cl, "GET", url, &x, err);
  if (ret == 0 && strcmp (x.type, "symlink") == 0)
    ret = mc_make_error (err, 0, "`%s%s` is a symlink to `%.*s`: edit its target", ref->name, ref->path,
                         (int) x.len, x.data ? x.data : "");
  else if (ret == 0 && strcmp (x.type, "file") != 0)
    ret = mc_make_error (err, 0, "`%s%s` is not a regular file", ref->name, ref->path);
  e->mode = x.mode;
  e->fa.o.uid = (uint32_t) x.uid;
  e->fa.o.gid = (uint32_t) x.gid;
  free (x.data);
  return ret;
}

static int
remote_edit_push (void *data, const struct mc_file_ref *ref, const char *tmp, mc_error_t *err)
{
  struct remote_edit *e = data;
  cleanup_close int fd = open (tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "open `%s`", tmp);
  return post_entry (&e->cl, &e->fa, ref->name, ref->path, "file", fd, st.st_size, e->mode, err);
}

static int
cmd_edit (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  struct file_args a;
  int r;

  if ((r = parse_flags (cmd, argc, argv, &a, err)) != 0)
    return r < 0 ? -1 : 0;
  if (a.remote)
    {
      struct remote_edit e = { .fa = { .o = { .uid = MC_FILE_ID_UNSET, .gid = MC_FILE_ID_UNSET, .mode = -1 } } };
      struct mc_file_edit_io io = { remote_edit_pull, remote_edit_push, &e };
      struct mc_file_ref ref;

      r = cli_remote_client_open (a.remote, &e.cl, err);
      free (a.remote);
      if (r < 0)
        return -1;
      if ((r = mc_file_parse_ref (argv[optind], &ref, err)) == 0)
        {
          r = mc_file_edit_with (&ref, &io, err);
          mc_file_ref_release (&ref);
        }
      mc_client_release (&e.cl);
      return r;
    }
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

/* LXD's file create on a remote: REF made as TYPE (SYMLINK: to TARGET),
 * one POST; what is there is kept unless --force, as the local create
 * (an existing directory is kept even then).  */
static int
remote_create (struct file_args *fa, const struct mc_file_ref *ref, enum mc_file_type type, const char *target,
               mc_error_t *err)
{
  static const char *const names[] = { [MC_FILE_TYPE_FILE] = "file", [MC_FILE_TYPE_DIRECTORY] = "directory",
                                       [MC_FILE_TYPE_SYMLINK] = "symlink" };
  cleanup_free char *label = xasprintf ("%s%s", ref->name, ref->path);
  cleanup_close int mfd = -1;
  struct mc_client cl;
  char there[32] = "";
  unsigned mode;
  int ret;

  mode = fa->o.mode >= 0 ? (unsigned) fa->o.mode : type == MC_FILE_TYPE_DIRECTORY ? 0755u : type == MC_FILE_TYPE_SYMLINK ? 0777u : 0644u;
  if (type == MC_FILE_TYPE_SYMLINK
      && ((mfd = memfd_create ("minictr-link", MFD_CLOEXEC)) < 0 || mc_write_all (mfd, target, strlen (target)) < 0
          || lseek (mfd, 0, SEEK_SET) < 0))
    return mc_make_error (err, errno, "the target of `%s`", label);
  if (cli_remote_client_open (fa->remote, &cl, err) < 0)
    return -1;
  ret = fa->o.parents ? remote_parents (&cl, fa, ref->name, ref->path, err) : 0;
  if (ret == 0)
    ret = remote_type (&cl, ref->name, ref->path, there, NULL, err);
  if (ret == 0 && there[0] && !fa->o.force)
    ret = strcmp (there, "directory") == 0 && type == MC_FILE_TYPE_DIRECTORY
            ? mc_make_error (err, 0, "`%s` already exists", label)
            : mc_make_error (err, 0, "`%s` already exists (use --force to replace it)", label);
  else if (ret == 0 && strcmp (there, "directory") == 0 && type != MC_FILE_TYPE_DIRECTORY)
    ret = mc_make_error (err, EISDIR, "create `%s`", label);
  else if (ret == 0 && !(strcmp (there, "directory") == 0 && type == MC_FILE_TYPE_DIRECTORY))
    ret = post_entry (&cl, fa, ref->name, ref->path, names[type], mfd, mfd >= 0 ? (off_t) strlen (target) : 0,
                      mode, err);
  mc_client_release (&cl);
  return ret;
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
  if (a.remote)
    {
      struct mc_file_ref ref;
      enum mc_file_type type = a.type;

      if (parse_refs (argv + optind, 1, &ref, err) < 0)
        {
          free (a.remote);
          return -1;
        }
      if (!a.type_given && ref.dir)
        type = MC_FILE_TYPE_DIRECTORY;
      r = remote_create (&a, &ref, type, c.target, err);
      release_refs (&ref, 1);
      free (a.remote);
      return r;
    }
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
