#include "api/files.h"
#include "api/operations.h"
#include "runtime/container.h"
#include "runtime/files/file.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

/* ?path=, from the container's root (LXD's client sends "root/x" for
 * c1/root/x); NULL when absent or empty.  */
static char *
request_path (const struct mc_api_req *req)
{
  cleanup_free char *path = mc_api_query (req, "path");

  if (path == NULL || *path == '\0')
    return NULL;
  return path[0] == '/' ? steal_pointer (&path) : xasprintf ("/%s", path);
}

/* Run FN on WORK in an operation about instance NAME, described as WHAT,
 * its stdin IN and stdout OUT (-1: /dev/null); answered sync, as LXD
 * answers for files.  */
static int
file_op (const char *name, const char *what, mc_op_fn fn, json_t *work, int in, int out, struct mc_api_resp *r)
{
  cleanup_free char *url = xasprintf ("/1.0/instances/%s", name);
  cleanup_json json_t *res = json_pack ("{s:[s]}", "instances", url);

  return mc_op_answer (mc_op_new (what, res, NULL, url), fn, work, in, out, true, r);
}

/* In the operation's child: the body is its stdin.  */
static int
push (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *type = json_string_value (json_object_get (work, "type"));
  cleanup_free char *path = xstrdup (json_string_value (json_object_get (work, "path")));
  struct mc_file_ref ref = { .name = json_string_value (json_object_get (work, "name")), .path = path };
  struct mc_file_opts o = { .uid = (uint32_t) json_integer_value (json_object_get (work, "uid")),
                            .gid = (uint32_t) json_integer_value (json_object_get (work, "gid")),
                            .mode = (int) json_integer_value (json_object_get (work, "mode")),
                            .force = true };
  static const char *const stdin_src[] = { "-" };

  (void) metadata;
  if (lseek (STDIN_FILENO, 0, SEEK_SET) < 0)
    return mc_make_error (err, errno, "rewind the uploaded body");
  if (strcmp (type, "directory") == 0)
    return mc_file_create (s, &ref, MC_FILE_TYPE_DIRECTORY, NULL, &o, err);
  if (strcmp (type, "symlink") == 0)
    {
      char target[4096];
      ssize_t n = read (STDIN_FILENO, target, sizeof (target) - 1);

      if (n <= 0)
        return mc_make_error (err, 0, "a symlink needs its target as the body");
      target[n] = '\0';
      return mc_file_create (s, &ref, MC_FILE_TYPE_SYMLINK, target, &o, err);
    }
  return mc_file_push (s, stdin_src, 1, &ref, &o, err);
}

/* Header NAME as a number in [0, MAX] (DFLT when absent, BASE 8 or 10).  */
static int
header_num (const struct mc_api_req *req, const char *name, int base, long max, long dflt, long *out)
{
  const char *v = json_string_value (json_object_get (req->lxd_headers, name));
  char *end;

  *out = dflt;
  if (v == NULL || *v == '\0')
    return 0;
  errno = 0;
  *out = strtol (v, &end, base);
  return errno || *end || *out < 0 || *out > max ? -1 : 0;
}

int
mc_api_instance_files_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                            struct mc_api_resp *r)
{
  cleanup_free char *path = request_path (req);
  cleanup_json json_t *work = NULL;
  const char *type = json_string_value (json_object_get (req->lxd_headers, "type"));
  const char *write_mode = json_string_value (json_object_get (req->lxd_headers, "write"));
  long uid, gid, mode;

  if (path == NULL)
    return mc_api_error (r, 400, "Missing path (want ?path=/a/path)");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if (type == NULL || *type == '\0')
    type = "file";
  if (strcmp (type, "file") != 0 && strcmp (type, "directory") != 0 && strcmp (type, "symlink") != 0)
    return mc_api_error (r, 400, "Invalid X-LXD-type `%s`: file, directory or symlink", type);
  if (write_mode && *write_mode && strcmp (write_mode, "overwrite") != 0)
    return mc_api_error (r, 400, "X-LXD-write `%s` is not supported (only overwrite)", write_mode);
  if (header_num (req, "uid", 10, 0xfffffffeL, 0, &uid) < 0 || header_num (req, "gid", 10, 0xfffffffeL, 0, &gid) < 0
      || header_num (req, "mode", 8, 07777, strcmp (type, "directory") == 0 ? 0755 : 0644, &mode) < 0)
    return mc_api_error (r, 400, "Invalid X-LXD-uid, -gid or -mode (ids, and an octal mode up to 7777)");
  if (req->body_fd < 0)
    return mc_api_error (r, 400, "No body");
  work = json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I}", "name", args[0], "path", path, "type", type, "uid",
                    (json_int_t) uid, "gid", (json_int_t) gid, "mode", (json_int_t) mode);
  return file_op (args[0], "Pushing a file", push, work, req->body_fd, -1, r);
}

/* In the operation's child: what PATH is; a file's bytes to stdout (the
 * server's spool), a directory's names or a symlink's target in the
 * metadata.  */
static int
inspect (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  cleanup_free char *path = xstrdup (json_string_value (json_object_get (work, "path")));
  struct mc_file_ref ref = { .name = json_string_value (json_object_get (work, "name")), .path = path };
  static const char *const types[] = { "file", "directory", "symlink" };
  struct mc_file_info info;
  cleanup_free char *target = NULL;
  cleanup_close int fd = -1;
  json_t *entries = NULL;

  if (mc_file_open (s, &ref, &info, &fd, &target, err) < 0)
    return -1;
  if (info.type == MC_FILE_TYPE_FILE)
    {
      char buf[65536];
      ssize_t n;

      while ((n = read (fd, buf, sizeof (buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0 && mc_write_all (STDOUT_FILENO, buf, (size_t) n) < 0)
          return mc_make_error (err, errno, "spool `%s`", path);
      if (n < 0)
        return mc_make_error (err, errno, "read `%s`", path);
    }
  else if (info.type == MC_FILE_TYPE_DIRECTORY)
    {
      DIR *d = fdopendir (fd);
      struct dirent *de;

      if (d == NULL)
        return mc_make_error (err, errno, "list `%s`", path);
      fd = -1;
      entries = json_array ();
      while ((de = readdir (d)) != NULL)
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
          json_array_append_new (entries, json_string (de->d_name));
      closedir (d);
    }
  *metadata = json_pack ("{s:i, s:i, s:i, s:s}", "uid", (int) info.uid, "gid", (int) info.gid, "mode", info.mode,
                         "type", types[info.type]);
  if (entries)
    json_object_set_new (*metadata, "entries", entries);
  if (target)
    json_object_set_new (*metadata, "target", json_string (target));
  return 0;
}

int
mc_api_instance_files_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                           struct mc_api_resp *r)
{
  cleanup_free char *path = request_path (req);
  cleanup_json json_t *work = NULL;
  int spool;

  if (path == NULL)
    return mc_api_error (r, 400, "Missing path (want ?path=/a/path)");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  if ((spool = openat (ctx->store->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
    return mc_api_error (r, 500, "Cannot spool the file in the state directory: %s", strerror (errno));
  work = json_pack ("{s:s, s:s}", "name", args[0], "path", path);
  if (file_op (args[0], "Reading a file", inspect, work, -1, spool, r) < 0 || r->op == NULL)
    {
      close (spool);
      return 0;
    }
  r->file_op = true;
  r->file_fd = spool;
  return 0;
}

/* In the operation's child: PATH goes (a file, a symlink, an empty
 * directory: LXD's removal).  */
static int
unlink_path (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  cleanup_free char *path = xstrdup (json_string_value (json_object_get (work, "path")));
  struct mc_file_ref ref = { .name = json_string_value (json_object_get (work, "name")), .path = path };
  struct mc_file_opts o = { .uid = MC_FILE_ID_UNSET, .gid = MC_FILE_ID_UNSET, .mode = -1 };

  (void) metadata;
  return mc_file_delete (s, &ref, &o, err);
}

int
mc_api_instance_files_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                              struct mc_api_resp *r)
{
  cleanup_free char *path = request_path (req);
  cleanup_json json_t *work = NULL;

  if (path == NULL)
    return mc_api_error (r, 400, "Missing path (want ?path=/a/path)");
  if (!mc_container_exists (ctx->store, args[0]))
    return mc_api_error (r, 404, "Instance not found");
  work = json_pack ("{s:s, s:s}", "name", args[0], "path", path);
  return file_op (args[0], "Deleting a file", unlink_path, work, -1, -1, r);
}
