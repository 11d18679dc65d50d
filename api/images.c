#include "api/images.h"
#include "api/operations.h"
#include "images/alias.h"
#include "images/import.h"
#include "images/manage.h"
#include "images/store.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* Whether a part's headers HDR[0..LEN) have the parameter WANT
 * (`name="rootfs"`) as a parameter of its own (after `;` or a space),
 * not inside another (`filename="rootfs"`).  */
static bool
part_named (const char *hdr, size_t len, const char *want)
{
  size_t wlen = strlen (want);
  const char *p = hdr, *end = hdr + len, *hit;

  while ((hit = memmem (p, (size_t) (end - p), want, wlen)) != NULL)
    {
      if (hit > hdr && (hit[-1] == ';' || hit[-1] == ' ' || hit[-1] == '\t'))
        return true;
      p = hit + 1;
    }
  return false;
}

/* The filename="..." of a part's headers HDR[0..LEN), or NULL.  */
static char *
part_filename (const char *hdr, size_t len)
{
  static const char key[] = "filename=\"";
  const char *f = memmem (hdr, len, key, sizeof (key) - 1), *q;

  if (f == NULL)
    return NULL;
  f += sizeof (key) - 1;
  q = memchr (f, '"', len - (size_t) (f - hdr));
  return q && q > f ? xstrndup (f, (size_t) (q - f)) : NULL;
}

/* multipart/form-data's parts named NAME: written to a new unnamed file in
 * DIRFD, its fd in *OUT, its file name in *FILENAME (or NULL).  The body
 * is BUF[0..LEN), the delimiter "--BOUNDARY".  */
static int
form_part (const char *buf, size_t len, const char *boundary, const char *name, int dirfd, int *out,
           char **filename, mc_error_t *err)
{
  cleanup_free char *delim = xasprintf ("\r\n--%s", boundary);
  cleanup_free char *want = xasprintf ("name=\"%s\"", name);
  size_t dlen = strlen (delim);
  const char *p = buf, *end = buf + len;

  /* The first delimiter has no CRLF before it.  */
  if (len < dlen - 2 || memcmp (buf, delim + 2, dlen - 2) != 0)
    return mc_make_error (err, 0, "malformed multipart body");
  p += dlen - 2;
  while (p < end)
    {
      const char *hdr_end, *data, *next;

      if (end - p >= 2 && memcmp (p, "--", 2) == 0)
        break;
      if (end - p < 2 || memcmp (p, "\r\n", 2) != 0
          || (hdr_end = memmem (p, (size_t) (end - p), "\r\n\r\n", 4)) == NULL)
        return mc_make_error (err, 0, "malformed multipart body");
      data = hdr_end + 4;
      if ((next = memmem (data, (size_t) (end - data), delim, dlen)) == NULL)
        return mc_make_error (err, 0, "malformed multipart body: no closing boundary");
      if (part_named (p, (size_t) (hdr_end - p), want))
        {
          int fd = openat (dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

          if (fd < 0 || mc_write_all (fd, data, (size_t) (next - data)) < 0)
            {
              if (fd >= 0)
                close (fd);
              return mc_make_error (err, errno, "store the `%s` part", name);
            }
          *out = fd;
          *filename = part_filename (p, (size_t) (hdr_end - p));
          return 0;
        }
      p = next + dlen;
    }
  return mc_make_error (err, 0, "the multipart body has no `%s` part", name);
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
      const char *b = strstr (ctype, "boundary=");
      cleanup_free char *boundary = NULL;
      void *map;

      if (b == NULL)
        return mc_make_error (err, 0, "multipart body without a boundary");
      b += 9;
      boundary = *b == '"' ? xstrndup (b + 1, strcspn (b + 1, "\"")) : xstrndup (b, strcspn (b, "; "));
      map = st.st_size > 0 ? mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, STDIN_FILENO, 0) : MAP_FAILED;
      if (map == MAP_FAILED)
        return mc_make_error (err, errno, "read the uploaded body");
      ret = form_part (map, (size_t) st.st_size, boundary, "metadata", s->rootfd, &meta_fd, &meta_name, err);
      if (ret == 0)
        ret = form_part (map, (size_t) st.st_size, boundary, "rootfs", s->rootfd, &rootfs_fd, &rootfs_name, err);
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
  *metadata = json_pack ("{s:s, s:s}", "fingerprint", res.fingerprint, "size", "0");
  return 0;
}

int
mc_api_images_post (struct mc_api_ctx *ctx, const struct mc_api_req *req, const char *const *args,
                    struct mc_api_resp *r)
{
  cleanup_json json_t *work = NULL;

  (void) ctx;
  (void) args;
  if (req->body_fd < 0)
    return mc_api_error (r, 400, "Only an uploaded image (a unified tarball, or a split one as a multipart "
                                 "form) can be imported: remote sources are not supported");
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
  cleanup_json json_t *work = NULL, *op_json = NULL;
  cleanup_free char *url = NULL;
  char fp[MC_FP_HEX_LEN + 1];
  mc_error_t err = NULL;
  struct mc_op *op;

  (void) req;
  if (!image_by_fingerprint (ctx, args[0], fp))
    return mc_api_error (r, 404, "Image not found");
  work = json_pack ("{s:s}", "fingerprint", fp);
  url = xasprintf ("/1.0/images/%s", fp);
  op = mc_op_run ("Deleting image", NULL, delete_image, work, "image-deleted", url, &err);
  if (op == NULL)
    return mc_api_fail (r, 500, &err);
  op_json = mc_op_json (op);
  mc_api_async (r, op_json);
  r->op = op;
  return 0;
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
