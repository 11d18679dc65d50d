#include "api/images.h"
#include "api/multipart.h"
#include "api/operations.h"
#include "images/alias.h"
#include "images/import.h"
#include "images/manage.h"
#include "images/store.h"
#include "runtime/container.h"
#include "runtime/history/publish.h"
#include "runtime/history/snapshot.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int
mc_api_images_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_image_list (ctx->store, &err), *out, *img;
  size_t i;

  (void) args;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  if (mc_api_recursion (req) > 0)
    {
      mc_api_sync (r, all);
      return 0;
    }
  out = json_array ();
  json_array_foreach (all, i, img)
    json_array_append_new (out, json_sprintf ("/1.0/images/%s",
                                              json_string_value (json_object_get (img, "fingerprint"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

/* REF, a fingerprint or its prefix (aliases have their own URL), as the
 * image's full fingerprint in FP.  */
static bool
image_by_fingerprint (struct mc_api_ctx *ctx, const char *ref, char fp[MC_FP_HEX_LEN + 1])
{
  mc_error_t err = NULL;

  if (strspn (ref, "0123456789abcdef") != strlen (ref) || mc_image_resolve (ctx->store, ref, fp, &err) < 0
      || strncmp (fp, ref, strlen (ref)) != 0)
    {
      mc_error_release (&err);
      return false;
    }
  return true;
}

int
mc_api_image_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                  struct mc_api_resp *r)
{
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;
  json_t *img;

  (void) req;
  if (!image_by_fingerprint (ctx, args[0], fp))
    return mc_api_error (r, 404, "Image not found");
  if ((img = mc_image_get (ctx->store, fp, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  mc_api_sync (r, img);
  return 0;
}

/* images/alias.c's {name, target, description} as LXD's alias.  */
static json_t *
alias_json (json_t *a)
{
  return json_pack ("{s:O, s:O, s:O, s:s}", "name", json_object_get (a, "name"), "description",
                    json_object_get (a, "description"), "target", json_object_get (a, "target"), "type",
                    "container");
}

int
mc_api_aliases_list (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_alias_list (ctx->store, &err), *out, *a;
  bool full = mc_api_recursion (req) > 0;
  size_t i;

  (void) args;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  out = json_array ();
  json_array_foreach (all, i, a)
    json_array_append_new (out, full ? alias_json (a)
                                     : json_sprintf ("/1.0/images/aliases/%s",
                                                     json_string_value (json_object_get (a, "name"))));
  json_decref (all);
  mc_api_sync (r, out);
  return 0;
}

int
mc_api_alias_get (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                  struct mc_api_resp *r)
{
  mc_error_t err = NULL;
  json_t *all = mc_alias_list (ctx->store, &err), *a;
  size_t i;

  (void) req;
  if (all == NULL)
    return mc_api_fail (r, 500, &err);
  json_array_foreach (all, i, a)
    if (strcmp (json_string_value (json_object_get (a, "name")), args[0]) == 0)
      {
        mc_api_sync (r, alias_json (a));
        json_decref (all);
        return 0;
      }
  json_decref (all);
  return mc_api_error (r, 404, "Image alias not found");
}

/* ---- upload ------------------------------------------------------------------- */

/* The part NAME of the form BODY[0..LEN) in a new unnamed file in DIRFD
 * (its fd in *OUT), its file name in *FILENAME (or NULL).  */
static int
form_part_file (const char *body, size_t len, const char *boundary, const char *name, int dirfd, int *out,
                char **filename, mc_error_t *err)
{
  struct mc_form_part part;
  int fd;

  if (mc_form_part (body, len, boundary, name, &part, err) < 0)
    return -1;
  fd = openat (dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 || mc_write_all (fd, part.data, part.len) < 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      free (part.filename);
      return mc_make_error (err, saved, "store the `%s` part", name);
    }
  *out = fd;
  *filename = part.filename;
  return 0;
}

/* LXD's metadata of an image-making operation: the fingerprint, and the
 * size (a string, as LXD has it).  */
static json_t *
image_created (struct mc_store *s, const char *fp)
{
  mc_error_t err = NULL;
  json_t *img = mc_image_get (s, fp, &err);
  json_t *out = json_pack ("{s:s, s:o}", "fingerprint", fp, "size",
                           json_sprintf ("%lld", (long long) json_integer_value (json_object_get (img, "size"))));

  mc_error_release (&err);
  json_decref (img);
  return out;
}

/* In the operation's child: the body is its stdin.  */
static int
import (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *ctype = json_string_value (json_object_get (work, "content_type"));
  const char *filename = json_string_value (json_object_get (work, "filename"));
  struct mc_import_request req = { .display_name = filename && *filename ? filename : NULL };
  struct mc_import_result res;
  cleanup_free char *meta = NULL, *rootfs = NULL, *meta_name = NULL, *rootfs_name = NULL;
  int meta_fd = -1, rootfs_fd = -1, ret;
  struct stat st;

  if (fstat (STDIN_FILENO, &st) < 0)
    return mc_make_error (err, errno, "the uploaded body");
  if (ctype && strncmp (ctype, "multipart/form-data", 19) == 0)
    {
      cleanup_free char *boundary = mc_form_boundary (ctype, err);
      void *map;

      if (boundary == NULL)
        return -1;
      map = st.st_size > 0 ? mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, STDIN_FILENO, 0) : MAP_FAILED;
      if (map == MAP_FAILED)
        return mc_make_error (err, errno, "read the uploaded body");
      ret = form_part_file (map, (size_t) st.st_size, boundary, "metadata", s->rootfd, &meta_fd, &meta_name, err);
      if (ret == 0)
        ret = form_part_file (map, (size_t) st.st_size, boundary, "rootfs", s->rootfd, &rootfs_fd, &rootfs_name, err);
      munmap (map, (size_t) st.st_size);
      if (ret < 0)
        {
          if (meta_fd >= 0)
            close (meta_fd);
          return -1;
        }
      meta = xasprintf ("/proc/self/fd/%d", meta_fd);
      rootfs = xasprintf ("/proc/self/fd/%d", rootfs_fd);
      req.meta_path = meta;
      req.rootfs_path = rootfs;
      if (meta_name)
        req.display_name = meta_name;
      req.rootfs_display_name = rootfs_name;
    }
  else
    req.meta_path = meta = xstrdup ("/proc/self/fd/0");
  ret = mc_image_import (s, &req, &res, err);
  if (meta_fd >= 0)
    close (meta_fd);
  if (rootfs_fd >= 0)
    close (rootfs_fd);
  if (ret < 0)
    return -1;
  *metadata = image_created (s, res.fingerprint);
  return 0;
}

/* The most a JSON request to /1.0/images may be (the server's own limit
 * for JSON bodies).  */
#define BODY_JSON_MAX (4 << 20)

/* Whether CTYPE is TYPE (parameters aside).  */
static bool
ctype_is (const char *ctype, const char *type)
{
  size_t n = strlen (type);

  return ctype && strncasecmp (ctype, type, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* publish, in the operation's child: WORK is {name, snapshot?, aliases,
 * properties} (checked by mc_api_images_post).  A running container is
 * frozen while it is read (the CLI's `publish --force`): LXD's client has
 * already refused it, or stopped it, when it should be.  */
static int
publish (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  const char *name = json_string_value (json_object_get (work, "name"));
  json_t *aliases = json_object_get (work, "aliases"), *props = json_object_get (work, "properties");
  size_t n_alias = json_array_size (aliases), n_prop = json_array_size (props), i;
  cleanup_free const char **alias_v = xmalloc ((n_alias + 1) * sizeof (char *));
  cleanup_free const char **prop_v = xmalloc ((n_prop + 1) * sizeof (char *));
  struct mc_publish_request preq = { .name = name,
                                     .snap = json_string_value (json_object_get (work, "snapshot")),
                                     .aliases = alias_v, .n_aliases = n_alias,
                                     .properties = prop_v, .n_properties = n_prop, .force = true };
  cleanup_close int lock = mc_container_lock (s, name, err);
  char fp[MC_FP_HEX_LEN + 1];

  if (lock < 0)
    return -1;
  for (i = 0; i < n_alias; i++)
    alias_v[i] = json_string_value (json_array_get (aliases, i));
  for (i = 0; i < n_prop; i++)
    prop_v[i] = json_string_value (json_array_get (props, i));
  if (mc_container_publish (s, &preq, fp, err) < 0)
    return -1;
  *metadata = image_created (s, fp);
  return 0;
}

/* POST /1.0/images with a JSON body: LXD's ImagesPost with an instance
 * or a snapshot as its source (`lxc publish`).  */
static int
publish_post (struct mc_api_ctx *ctx, json_t *body, struct mc_api_resp *r)
{
  json_t *source = json_object_get (body, "source"), *props = json_object_get (body, "properties");
  json_t *aliases = json_object_get (body, "aliases"), *v;
  const char *type = json_string_value (json_object_get (source, "type"));
  const char *name = json_string_value (json_object_get (source, "name"));
  cleanup_json json_t *work = NULL, *alias_names = json_array (), *prop_list = json_array ();
  cleanup_free char *inst = NULL, *url = NULL;
  const char *slash, *key;
  mc_error_t err = NULL;
  size_t i;

  if (!json_is_object (body) || !json_is_object (source))
    return mc_api_error (r, 400, "Only an uploaded image (a unified tarball, or a split one as a multipart form) "
                                 "or an instance can be an image's source");
  if (type == NULL || name == NULL || *type == '\0' || *name == '\0')
    return mc_api_error (r, 400, "No source provided");
  slash = strchr (name, '/');
  if (strcmp (type, "snapshot") == 0 && slash == NULL)
    return mc_api_error (r, 400, "Not a snapshot");
  if (strcmp (type, "snapshot") != 0 && strcmp (type, "instance") != 0 && strcmp (type, "container") != 0)
    return mc_api_error (r, 400, "Source type `%s` is not supported (minictr publishes instances and snapshots; "
                                 "images are imported by upload)", type);
  if (strcmp (type, "snapshot") != 0 && slash)
    return mc_api_error (r, 400, "This is a snapshot");
  inst = slash ? xstrndup (name, (size_t) (slash - name)) : xstrdup (name);
  if (!mc_container_exists (ctx->store, inst))
    return mc_api_error (r, 404, "Instance not found");
  if (slash)
    {
      json_t *snap = mc_snapshot_get (ctx->store, inst, slash + 1, &err);

      if (snap == NULL)
        {
          mc_error_release (&err);
          return mc_api_error (r, 404, "Snapshot not found");
        }
      json_decref (snap);
    }
  /* LXD's client sends null for none.  */
  if (props && !json_is_null (props) && !json_is_object (props))
    return mc_api_error (r, 400, "Invalid properties: expected an object of strings");
  json_object_foreach (props, key, v)
    {
      if (!json_is_string (v) || *key == '\0' || strchr (key, '='))
        return mc_api_error (r, 400, "Invalid property `%s`: a name without `=` and a string value", key);
      json_array_append_new (prop_list, json_sprintf ("%s=%s", key, json_string_value (v)));
    }
  if (aliases && !json_is_null (aliases) && !json_is_array (aliases))
    return mc_api_error (r, 400, "Invalid aliases: expected a list of {name, description}");
  json_array_foreach (aliases, i, v)
    {
      const char *an = json_string_value (json_object_get (v, "name"));

      if (an == NULL || *an == '\0')
        return mc_api_error (r, 400, "Invalid aliases: each needs a name");
      json_array_append_new (alias_names, json_string (an));
    }
  work = json_pack ("{s:s, s:O, s:O}", "name", inst, "aliases", alias_names, "properties", prop_list);
  if (slash)
    json_object_set_new (work, "snapshot", json_string (slash + 1));
  url = xasprintf ("/1.0/instances/%s", name);
  return mc_op_answer (mc_op_new ("Publishing instance", NULL, "image-created", url), publish, work, -1, -1,
                       false, r);
}

int
mc_api_images_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  cleanup_json json_t *work = NULL;

  (void) args;
  if (req->body_fd < 0)
    return publish_post (ctx, req->body, r);
  /* LXD's rule: a body that is JSON is a request (publish), anything
     else an upload; JSON said to be JSON must be.  */
  if (ctype_is (req->content_type, "application/json")
      || !(ctype_is (req->content_type, "application/octet-stream")
           || ctype_is (req->content_type, "multipart/form-data")))
    {
      cleanup_json json_t *body = NULL;
      json_error_t jerr;
      struct stat st;
      char *buf;

      snprintf (jerr.text, sizeof (jerr.text), "empty, or larger than %d bytes", BODY_JSON_MAX);
      if (fstat (req->body_fd, &st) == 0 && st.st_size > 0 && st.st_size <= BODY_JSON_MAX
          && (buf = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, req->body_fd, 0)) != MAP_FAILED)
        {
          body = json_loadb (buf, (size_t) st.st_size, JSON_REJECT_DUPLICATES, &jerr);
          munmap (buf, (size_t) st.st_size);
        }
      if (json_is_object (body))
        return publish_post (ctx, body, r);
      if (ctype_is (req->content_type, "application/json"))
        return mc_api_error (r, 400, "Invalid JSON body: %s", body ? "expected an object" : jerr.text);
    }
  /* Its body is read from the start.  */
  if (lseek (req->body_fd, 0, SEEK_SET) < 0)
    return mc_api_error (r, 500, "rewind the uploaded image: %s", strerror (errno));
  work = json_pack ("{s:s, s:s}", "content_type", req->content_type ? req->content_type : "", "filename",
                    json_string_value (json_object_get (req->lxd_headers, "filename"))
                      ? json_string_value (json_object_get (req->lxd_headers, "filename"))
                      : "");
  return mc_op_answer (mc_op_new ("Downloading image", NULL, "image-created", "/1.0/images"), import, work,
                       req->body_fd, -1, false, r);
}

int
mc_api_aliases_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  const char *name = json_string_value (json_object_get (req->body, "name"));
  const char *target = json_string_value (json_object_get (req->body, "target"));
  const char *desc = json_string_value (json_object_get (req->body, "description"));
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;

  (void) args;
  if (name == NULL || target == NULL)
    return mc_api_error (r, 400, "Invalid alias: name and target are required");
  if (mc_image_resolve (ctx->store, target, fp, &err) < 0 || strncmp (fp, target, strlen (target)) != 0)
    {
      mc_error_release (&err);
      return mc_api_error (r, 404, "Image not found");
    }
  if (mc_alias_create (ctx->store, name, fp, desc ? desc : "", &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

int
mc_api_alias_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  mc_error_t err = NULL;

  (void) req;
  if (mc_alias_delete (ctx->store, args[0], &err) < 0)
    return mc_api_fail (r, 404, &err);
  mc_api_sync (r, NULL);
  return 0;
}

/* POST /1.0/images/aliases/NAME {name}: LXD's rename.  */
int
mc_api_alias_rename (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  const char *to = json_string_value (json_object_get (req->body, "name"));
  mc_error_t err = NULL;

  cleanup_json json_t *all = NULL;
  bool from_found = false, to_found = false;
  json_t *a;
  size_t i;

  if (to == NULL || *to == '\0')
    return mc_api_error (r, 400, "Invalid alias rename: a new `name` is required");
  /* LXD's statuses: 404 for no such alias, 409 for a name taken.  */
  if ((all = mc_alias_list (ctx->store, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  json_array_foreach (all, i, a)
    {
      from_found |= strcmp (json_string_value (json_object_get (a, "name")), args[0]) == 0;
      to_found |= strcmp (json_string_value (json_object_get (a, "name")), to) == 0;
    }
  if (!from_found)
    return mc_api_error (r, 404, "alias `%s` not found", args[0]);
  if (to_found)
    return mc_api_error (r, 409, "alias `%s` already exists", to);
  if (mc_alias_rename (ctx->store, args[0], to, &err) < 0)
    return mc_api_fail (r, 400, &err);
  mc_api_sync (r, NULL);
  return 0;
}

static int
delete_image (struct mc_store *s, json_t *work, json_t **metadata, mc_error_t *err)
{
  (void) metadata;
  return mc_image_delete (s, json_string_value (json_object_get (work, "fingerprint")), err);
}

int
mc_api_image_delete (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  cleanup_json json_t *work = NULL;
  cleanup_free char *url = NULL;
  char fp[MC_FP_HEX_LEN + 1];

  (void) req;
  if (!image_by_fingerprint (ctx, args[0], fp))
    return mc_api_error (r, 404, "Image not found");
  work = json_pack ("{s:s}", "fingerprint", fp);
  url = xasprintf ("/1.0/images/%s", fp);
  return mc_op_start ("Deleting image", NULL, delete_image, work, "image-deleted", url, r);
}

/* TEXT in a file of its own (a part of a raw answer).  */
static int
text_part (const char *text, mc_error_t *err)
{
  int fd = memfd_create ("part", MFD_CLOEXEC);

  if (fd < 0)
    return mc_make_error (err, errno, "memfd_create");
  if (mc_write_all (fd, text, strlen (text)) < 0)
    {
      int saved = errno;
      close (fd);
      return mc_make_error (err, saved, "write an answer's part");
    }
  return fd;
}

/* LXD's export: a unified image as its file (named by Content-Disposition),
 * a split one as multipart/form-data with the parts "metadata" and
 * "rootfs", as LXD's client reads them.  The files are streamed from the
 * store as they are; the client checks them against the fingerprint.  */
int
mc_api_image_export (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                     struct mc_api_resp *r)
{
  static const char *const names[2] = { "metadata", "rootfs" };
  cleanup_json json_t *rec = NULL;
  char fp[MC_FP_HEX_LEN + 1], boundary[33];
  unsigned char rnd[16];
  mc_error_t err = NULL;
  json_t *files, *f;
  size_t i, n = 0;

  (void) req;
  if (!image_by_fingerprint (ctx, args[0], fp))
    return mc_api_error (r, 404, "Image not found");
  if (mc_image_check_usable (ctx->store, fp, &err) < 0 || (rec = mc_image_record_load (ctx->store, fp, &err)) == NULL)
    return mc_api_fail (r, 500, &err);
  files = json_object_get (json_object_get (rec, "store"), "files");
  if (json_array_size (files) != 1 && json_array_size (files) != 2)
    return mc_api_error (r, 500, "Image %.12s has no files to export", fp);
  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    return mc_api_error (r, 500, "getrandom: %s", strerror (errno));
  for (i = 0; i < sizeof (rnd); i++)
    sprintf (boundary + 2 * i, "%02x", rnd[i]);
  json_array_foreach (files, i, f)
    {
      const char *role = json_string_value (json_object_get (f, "role"));
      const char *ext = json_string_value (json_object_get (f, "ext"));
      cleanup_free char *path = xasprintf ("%s/orig/%s", fp, role ? role : "");
      cleanup_free char *name = xasprintf ("%s%s%s", i == 0 && json_array_size (files) == 2 ? "meta-" : "", fp,
                                           ext ? ext : "");
      int fd;

      if (json_array_size (files) == 2)
        {
          cleanup_free char *head = xasprintf ("%s--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                                               "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                                               i ? "\r\n" : "", boundary, names[i], name);

          if ((r->parts[n] = text_part (head, &err)) < 0)
            goto fail;
          n++;
        }
      else
        r->raw_headers = json_pack ("{s:o}", "Content-Disposition:",
                                    json_sprintf ("attachment; filename=%s", name));
      if ((fd = openat (ctx->store->imagesfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        {
          mc_make_error (&err, errno, "open `%s/images/%s`", ctx->store->root, path);
          goto fail;
        }
      r->parts[n++] = fd;
    }
  if (json_array_size (files) == 2)
    {
      cleanup_free char *tail = xasprintf ("\r\n--%s--\r\n", boundary);

      if ((r->parts[n] = text_part (tail, &err)) < 0)
        goto fail;
      n++;
      snprintf (r->raw_ctype, sizeof (r->raw_ctype), "multipart/form-data; boundary=%s", boundary);
    }
  mc_api_sync (r, NULL);
  r->raw = true;
  r->n_parts = n;
  return 0;

fail:
  while (n > 0)
    close (r->parts[--n]);
  json_decref (r->raw_headers);
  r->raw_headers = NULL;
  return mc_api_fail (r, 500, &err);
}
