/* `image import`: stream the file(s) once, hashing, keeping a copy and
 * unpacking as the bytes go by, into a private .tmp-import-* directory;
 * then, under the store lock, rename it into place as images/<fp>.
 * Any failure, or a SIGKILL at any point, leaves at most a locked-then-
 * orphaned temp directory that the next store open removes.  */
#include "images/import.h"
#include "images/alias.h"
#include "images/layers.h"
#include "images/metadata.h"
#include "images/docker_archive.h"
#include "images/oci.h"
#include "images/squashfs.h"
#include "images/store.h"
#include "lib/testhook.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

struct import_ctx
{
  struct mc_store *store;
  const struct mc_import_request *req;
  char *tmpname;
  int tmpfd;
  int origfd;
  struct mc_sha256 hash;
  char fp[MC_FP_HEX_LEN + 1];
  json_t *files; /* store.files: [{name, role, size, ext}] */
  struct mc_image_metadata md;
  const char *meta_label, *rootfs_label; /* the files as messages name them */
  bool oci_layers_added;                 /* an OCI import put layers in the store */
  /* The file (or directory) read for META_PATH, and an OCI image's ref
     name when META_PATH is PATH:REF.  */
  char *input, *oci_ref;
};

/* How the input PATH (the request's meta_path or rootfs_path) is named:
 * its display name when it has one (an upload's file name).  */
static const char *
label_of (const struct import_ctx *c, const char *path)
{
  return path == c->req->rootfs_path ? c->rootfs_label : c->meta_label;
}

static int
open_input (const char *path, mc_error_t *err)
{
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  if (fstat (fd, &st) < 0 || S_ISDIR (st.st_mode))
    {
      close (fd);
      return mc_make_error (err, errno ? errno : EISDIR, "`%s` is not an image file", path);
    }
  return fd;
}

/* mkdtemp inside images/ (same filesystem, so the final rename is
 * atomic), flock()ed for as long as we live.  Created and locked under
 * the store lock, which sweeps take too: a sweep never finds it unlocked. */
static int
make_tmpdir (struct import_ctx *c, mc_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/images/.tmp-import-XXXXXX", c->store->root);
  cleanup_close int lockfd = mc_store_lock (c->store, err);

  if (lockfd < 0)
    return -1;
  if (mkdtemp (path) == NULL)
    return mc_make_error (err, errno, "create a temporary directory in `%s/images`", c->store->root);
  c->tmpname = xstrdup (strrchr (path, '/') + 1);
  c->tmpfd = openat (c->store->imagesfd, c->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (c->tmpfd < 0 || flock (c->tmpfd, LOCK_EX) < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  if (mkdirat (c->tmpfd, "orig", 0700) < 0)
    return mc_make_error (err, errno, "mkdir `%s/orig`", path);
  c->origfd = openat (c->tmpfd, "orig", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (c->origfd < 0)
    return mc_make_error (err, errno, "open `%s/orig`", path);
  return 0;
}

static int
create_copy (struct import_ctx *c, const char *role, mc_error_t *err)
{
  int fd = openat (c->origfd, role, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    return mc_make_error (err, errno, "create `orig/%s` in the store", role);
  return fd;
}

static void
record_file (struct import_ctx *c, const char *role, const char *path,
             uint64_t size, const char *ext)
{
  const char *base;

  path = label_of (c, path);
  base = strrchr (path, '/');
  json_array_append_new (c->files, json_pack ("{s:s, s:s, s:I, s:s}", "role", role,
                                              "source", base ? base + 1 : path,
                                              "size", (json_int_t) size, "ext", ext));
}

/* Stream one tarball through hash + copy + unpack.  */
static int
import_tarball (struct import_ctx *c, const char *path, const char *role,
                int destfd, enum mc_unpack_kind kind, mc_error_t *err)
{
  cleanup_close int in = open_input (path, err);
  cleanup_close int copy = -1;
  struct mc_source src;
  const char *compression = "";
  cleanup_free char *ext = NULL;
  int ret;

  if (in < 0 || (copy = create_copy (c, role, err)) < 0)
    return -1;
  if (mc_source_init (&src, in, label_of (c, path), &c->hash, copy, err) < 0)
    return -1;
  src.progress = c->req->progress;
  src.progress_data = c->req->progress_data;
  ret = mc_tar_unpack (&src, destfd, kind, &compression, err);
  if (ret == 0)
    {
      ext = xasprintf (".tar%s", compression);
      record_file (c, role, path, src.done, ext);
    }
  mc_source_release (&src);
  return ret;
}

/* squashfs needs random access: copy it into the store while hashing
 * (the one pass over the user's file), then unpack from the copy, which
 * is still in the page cache.  */
static int
import_squashfs (struct import_ctx *c, int in, const char *path, int destfd,
                 mc_error_t *err)
{
  cleanup_close int copy = create_copy (c, "rootfs", err);
  struct mc_source src;
  int ret;

  if (copy < 0 || mc_source_init (&src, in, label_of (c, path), &c->hash, copy, err) < 0)
    return -1;
  src.progress = c->req->progress;
  src.progress_data = c->req->progress_data;
  ret = mc_source_drain (&src, err);
  if (ret == 0)
    record_file (c, "rootfs", path, src.done, ".squashfs");
  mc_source_release (&src);
  if (ret < 0)
    return -1;
  return mc_squashfs_unpack (copy, label_of (c, path), destfd, err);
}

static int
import_split_rootfs (struct import_ctx *c, mc_error_t *err)
{
  const char *path = c->req->rootfs_path;
  cleanup_close int rootfd = -1;
  cleanup_close int in = -1;

  if (mkdirat (c->tmpfd, "rootfs", 0755) < 0)
    return mc_make_error (err, errno, "mkdir rootfs in the store");
  rootfd = openat (c->tmpfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootfd < 0)
    return mc_make_error (err, errno, "open rootfs in the store");
  in = open_input (path, err);
  if (in < 0)
    return -1;
  if (mc_squashfs_detect (in))
    return import_squashfs (c, in, path, rootfd, err);
  return import_tarball (c, path, "rootfs", rootfd, MC_UNPACK_ROOTFS, err);
}

static int
unpack_all (struct import_ctx *c, mc_error_t *err)
{
  const struct mc_import_request *req = c->req;

  if (req->rootfs_path == NULL)
    return import_tarball (c, c->input, "image", c->tmpfd, MC_UNPACK_UNIFIED, err);
  if (import_tarball (c, req->meta_path, "meta", c->tmpfd, MC_UNPACK_META, err) < 0)
    return -1;
  return import_split_rootfs (c, err);
}

static int
load_metadata (struct import_ctx *c, mc_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  size_t len;

  fd = openat (c->tmpfd, "metadata.yaml", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return mc_make_error (err, 0, "`%s`: the image has no metadata.yaml", c->meta_label);
  if (fd < 0 && errno == ELOOP)
    return mc_make_error (err, 0, "`%s`: metadata.yaml is not a regular file", c->meta_label);
  if (fd < 0 || fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "open metadata.yaml");
  if (!S_ISREG (st.st_mode))
    return mc_make_error (err, 0, "`%s`: metadata.yaml is not a regular file", c->meta_label);
  if (mc_read_fd (fd, "metadata.yaml", MC_METADATA_MAX_SIZE, &buf, &len, err) < 0)
    return -1;
  if (mc_metadata_parse (buf, len, &c->md, err) < 0)
    return mc_error_prefix (err, "`%s`", c->meta_label);
  return 0;
}

static int
check_rootfs (struct import_ctx *c, mc_error_t *err)
{
  const char *path;
  struct stat st;
  json_t *t;

  if (fstatat (c->tmpfd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return mc_make_error (err, 0, "`%s`: the image has no rootfs/ directory", c->meta_label);
  if (mkdirat (c->tmpfd, "templates", 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir templates in the store");
  /* Templates are rendered by the host at every start: each must be a
   * regular file of the image's own, never a symlink to a host file.  */
  if (fstatat (c->tmpfd, "templates", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return mc_make_error (err, 0, "`%s`: the image's templates/ is not a directory", c->meta_label);
  json_object_foreach (c->md.templates, path, t)
    {
      const char *file = json_string_value (json_object_get (t, "template"));
      cleanup_free char *rel = file ? xasprintf ("templates/%s", file) : NULL;

      if (rel && fstatat (c->tmpfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode))
        return mc_make_error (err, 0, "`%s`: template `%s` (for `%s`) is not a regular file in the image",
                              c->meta_label, file, path);
    }
  return 0;
}

static void
set_time (json_t *rec, const char *key, int64_t t)
{
  char buf[64];

  if (t > 0)
    mc_format_time (t, buf, sizeof (buf));
  else
    snprintf (buf, sizeof (buf), "0001-01-01T00:00:00Z");
  json_object_set_new (rec, key, json_string (buf));
}

static json_t *
build_record (struct import_ctx *c)
{
  json_t *rec = json_object ();
  json_t *f;
  uint64_t size = 0;
  size_t i;

  json_array_foreach (c->files, i, f)
    size += (uint64_t) json_integer_value (json_object_get (f, "size"));
  json_object_set_new (rec, "fingerprint", json_string (c->fp));
  json_object_set_new (rec, "type", json_string ("container"));
  json_object_set (rec, "filename", json_object_get (json_array_get (c->files, 0), "source"));
  json_object_set_new (rec, "architecture", json_string (c->md.architecture));
  json_object_set_new (rec, "size", json_integer ((json_int_t) size));
  set_time (rec, "created_at", c->md.creation_date);
  set_time (rec, "expires_at", c->md.expiry_date);
  set_time (rec, "uploaded_at", (int64_t) time (NULL));
  set_time (rec, "last_used_at", 0);
  json_object_set (rec, "properties", c->md.properties);
  json_object_set_new (rec, "profiles", json_pack ("[s]", "default"));
  json_object_set_new (rec, "store", json_pack ("{s:s, s:O, s:s}", "format",
                                                c->req->rootfs_path ? "split" : "unified",
                                                "files", c->files, "status", "ok"));
  return rec;
}

/* Under the store lock: every alias must be free or already ours.  */
static int
check_aliases (struct import_ctx *c, json_t *aliases, mc_error_t *err)
{
  size_t i;

  for (i = 0; i < c->req->n_aliases; i++)
    {
      json_t *a = json_object_get (aliases, c->req->aliases[i]);
      const char *target = a ? json_string_value (json_object_get (a, "target")) : NULL;

      if (target && strcmp (target, c->fp) != 0)
        return mc_make_error (err, 0, "alias `%s` already names image %.12s",
                              c->req->aliases[i], target);
    }
  return 0;
}

static void
add_aliases (struct import_ctx *c, json_t *aliases)
{
  size_t i;

  for (i = 0; i < c->req->n_aliases; i++)
    if (json_object_get (aliases, c->req->aliases[i]) == NULL)
      json_object_set_new (aliases, c->req->aliases[i],
                           json_pack ("{s:s, s:s}", "target", c->fp, "description", ""));
}

static int
commit (struct import_ctx *c, bool *existed, mc_error_t *err)
{
  cleanup_close int lockfd = mc_store_lock (c->store, err);
  json_t *aliases;
  struct stat st;
  int ret = -1;

  if (lockfd < 0 || (aliases = mc_aliases_load (c->store, err)) == NULL)
    return -1;
  if (check_aliases (c, aliases, err) < 0)
    goto out;
  *existed = fstatat (c->store->imagesfd, c->fp, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!*existed && renameat (c->store->imagesfd, c->tmpname, c->store->imagesfd, c->fp) < 0)
    {
      mc_make_error (err, errno, "rename the new image into `%s/images/%s`", c->store->root, c->fp);
      goto out;
    }
  mc_test_point ("image-import-stored");
  add_aliases (c, aliases);
  ret = mc_aliases_save (c->store, aliases, err);
out:
  json_decref (aliases);
  return ret;
}

/* ---- OCI images (docs/oci.md) ------------------------------------------------ */

/* The blob DIGEST of BLOBS copied to the temp dir as NAME, checked again
 * on the way (a layout in a directory may change after it was read).  */
static int
copy_blob (struct import_ctx *c, int blobs, const char *digest, const char *name, mc_error_t *err)
{
  cleanup_close int in = openat (blobs, digest + 7, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  cleanup_free char *text = NULL;
  char got[MC_FP_HEX_LEN + 1];
  size_t len;

  if (in < 0 || mc_read_fd (in, digest, 4 << 20, &text, &len, err) < 0)
    return in < 0 ? mc_make_error (err, errno, "`%s`: blob `%s`", c->meta_label, digest) : -1;
  if (mc_sha256_bytes (text, len, got, err) < 0)
    return -1;
  if (strcmp (got, digest + 7) != 0)
    return mc_make_error (err, 0, "`%s`: blob `%s` changed while it was read", c->meta_label, digest);
  return mc_write_file_atomic_at (c->tmpfd, name, text, len, 0644, err);
}

/* OCI's architecture names as LXD's.  */
static const char *
lxd_architecture (const char *oci)
{
  static const char *const map[][2] = { { "amd64", "x86_64" }, { "arm64", "aarch64" }, { "386", "i686" },
                                        { "arm", "armv7l" }, { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
                                        { "riscv64", "riscv64" } };
  size_t i;

  for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strcmp (oci, map[i][0]) == 0)
      return map[i][1];
  return oci;
}

static json_t *
oci_record (struct import_ctx *c, const struct mc_oci_image *img)
{
  static const char *const desc_keys[] = { "org.opencontainers.image.description",
                                           "org.opencontainers.image.title" };
  const char *base = strrchr (c->meta_label, '/'), *desc = NULL;
  json_t *rec = json_object (), *layers = json_array (), *sizes = json_array ();
  uint64_t size = 0;
  size_t i;

  for (i = 0; i < sizeof (desc_keys) / sizeof (desc_keys[0]) && desc == NULL; i++)
    desc = json_string_value (json_object_get (img->annotations, desc_keys[i]));
  for (i = 0; i < img->n_layers; i++)
    {
      json_array_append_new (layers, json_string (img->layers[i].digest));
      json_array_append_new (sizes, json_integer ((json_int_t) img->layers[i].size));
      size += (uint64_t) img->layers[i].size;
    }
  json_object_set_new (rec, "fingerprint", json_string (c->fp));
  json_object_set_new (rec, "type", json_string ("container"));
  json_object_set_new (rec, "filename", json_string (base && base[1] ? base + 1 : c->meta_label));
  json_object_set_new (rec, "architecture", json_string (lxd_architecture (img->architecture)));
  json_object_set_new (rec, "size", json_integer ((json_int_t) size));
  set_time (rec, "created_at", img->created);
  set_time (rec, "expires_at", 0);
  set_time (rec, "uploaded_at", (int64_t) time (NULL));
  set_time (rec, "last_used_at", 0);
  json_object_set_new (rec, "properties", json_pack ("{s:s, s:s}", "description",
                                                     desc ? desc : img->ref_name ? img->ref_name : "OCI image",
                                                     "os", img->os));
  json_object_set_new (rec, "profiles", json_pack ("[s]", "default"));
  json_object_set_new (rec, "store", json_pack ("{s:s, s:o, s:o, s:s, s:s, s:s}", "format", "oci", "layers", layers,
                                                "layer_sizes", sizes, "manifest", img->manifest_digest, "config",
                                                img->config_digest, "status", "ok"));
  return rec;
}

/* The OCI layout in LAYOUTFD (the user's directory, or the archive
 * unpacked in our temp dir): checked, its layers added to the store (the
 * record listing them written first: no prune takes them), its manifest
 * and config kept; then committed as any import.  */
static int
import_oci (struct import_ctx *c, int layoutfd, struct mc_import_result *res, mc_error_t *err)
{
  static const char *const leftovers[] = { "orig", "blobs", "index.json", "oci-layout" };
  struct mc_oci_image img;
  cleanup_close int blobs_dir = -1, blobs = -1;
  mc_error_t e2 = NULL;
  json_t *rec;
  size_t i;
  int ret;

  if (mc_oci_layout_read (layoutfd, c->meta_label, c->oci_ref, &img, err) < 0)
    return -1;
  memcpy (c->fp, img.manifest_digest + 7, MC_FP_HEX_LEN);
  c->fp[MC_FP_HEX_LEN] = '\0';
  if ((blobs_dir = openat (layoutfd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
      || (blobs = openat (blobs_dir, "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    ret = mc_make_error (err, errno, "`%s`: blobs/sha256", c->meta_label);
  else
    ret = 0;
  if (ret == 0)
    ret = copy_blob (c, blobs, img.manifest_digest, "manifest.json", err);
  if (ret == 0)
    ret = copy_blob (c, blobs, img.config_digest, "config.json", err);
  if (ret == 0)
    {
      rec = oci_record (c, &img);
      ret = mc_image_record_save (c->store, c->tmpfd, rec, err);
      json_decref (rec);
    }
  for (i = 0; ret == 0 && i < img.n_layers; i++)
    {
      bool existed;

      c->oci_layers_added = true;
      ret = mc_layer_add (c->store, blobs, c->meta_label, &img.layers[i], &existed, err);
    }
  mc_oci_image_release (&img);
  if (ret < 0)
    return -1;
  /* What the archive brought besides (its blobs are the layers now).  */
  for (i = 0; i < sizeof (leftovers) / sizeof (leftovers[0]); i++)
    if (mc_rm_rf_at (c->tmpfd, leftovers[i], &e2) < 0)
      return mc_error_propagate (err, &e2);
  mc_test_point ("image-import-unpacked");
  memcpy (res->fingerprint, c->fp, sizeof (c->fp));
  return commit (c, &res->existed, err);
}

static bool
is_directory (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static int
run_import (struct import_ctx *c, struct mc_import_result *res, mc_error_t *err)
{
  json_t *rec;
  size_t i;
  int ret;

  for (i = 0; i < c->req->n_aliases; i++)
    if (mc_alias_validate (c->req->aliases[i], err) < 0)
      return -1;
  if (make_tmpdir (c, err) < 0 || mc_sha256_init (&c->hash, err) < 0)
    return -1;
  /* An OCI image layout, as a directory.  */
  if (c->req->rootfs_path == NULL && is_directory (c->input))
    {
      cleanup_close int layoutfd = open (c->input, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (layoutfd < 0)
        return mc_make_error (err, errno, "open `%s`", c->meta_label);
      if (!mc_oci_is_layout (layoutfd))
        return mc_make_error (err, 0, "`%s` is a directory, not an OCI image layout (no oci-layout file)",
                              c->meta_label);
      return import_oci (c, layoutfd, res, err);
    }
  if (unpack_all (c, err) < 0)
    return -1;
  mc_sha256_final (&c->hash, c->fp);
  /* A docker-archive: made an OCI layout, then read as one.  (Docker 25
     writes an OCI layout too, but its ref names are bare tags, `latest`:
     its manifest.json's RepoTags are what users name.)  */
  if (c->req->rootfs_path == NULL && faccessat (c->tmpfd, "metadata.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0
      && mc_docker_archive_is (c->tmpfd))
    {
      if (mc_docker_archive_to_oci (c->tmpfd, c->meta_label, c->oci_ref, err) < 0)
        return -1;
      return import_oci (c, c->tmpfd, res, err);
    }
  /* An oci-archive: a tar of an OCI layout.  */
  if (c->req->rootfs_path == NULL && faccessat (c->tmpfd, "metadata.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0
      && mc_oci_is_layout (c->tmpfd))
    return import_oci (c, c->tmpfd, res, err);
  if (c->oci_ref)
    return mc_make_error (err, 0, "`%s`: not an OCI image or a docker-archive (`:%s` names an image in one)",
                          c->meta_label, c->oci_ref);
  if (load_metadata (c, err) < 0 || check_rootfs (c, err) < 0)
    return -1;
  /* (An LXD image's stray OCI or docker-archive names are not kept.)  */
  {
    static const char *const keep[] = { "orig", "metadata.yaml", "rootfs", "templates" };

    if (mc_rm_rf_all_but_at (c->tmpfd, keep, sizeof (keep) / sizeof (keep[0]), err) < 0)
      return -1;
  }
  mc_test_point ("image-import-unpacked");
  rec = build_record (c);
  ret = mc_image_record_save (c->store, c->tmpfd, rec, err);
  json_decref (rec);
  if (ret < 0)
    return -1;
  memcpy (res->fingerprint, c->fp, sizeof (c->fp));
  return commit (c, &res->existed, err);
}

int
mc_image_import (struct mc_store *s, const struct mc_import_request *req,
                 struct mc_import_result *res, mc_error_t *err)
{
  struct import_ctx c = { .store = s, .req = req, .tmpfd = -1, .origfd = -1,
                          .meta_label = req->display_name ? req->display_name : req->meta_path,
                          .rootfs_label = req->rootfs_display_name ? req->rootfs_display_name : req->rootfs_path };
  mc_error_t cleanup_err = NULL;
  int ret;

  c.files = json_array ();
  c.input = xstrdup (req->meta_path);
  /* PATH:NAME: the image of that ref name in the OCI layout (or archive)
     PATH, or of that tag in the docker-archive PATH.  Paths and tags can
     both hold colons: the longest PATH that exists.  */
  if (req->rootfs_path == NULL && access (req->meta_path, F_OK) < 0)
    {
      const char *colon = strrchr (req->meta_path, ':');

      for (; colon; colon = memrchr (req->meta_path, ':', (size_t) (colon - req->meta_path)))
        {
          cleanup_free char *path = xstrndup (req->meta_path, (size_t) (colon - req->meta_path));

          if (colon[1] != '\0' && access (path, F_OK) == 0)
            {
              free (c.input);
              c.input = steal_pointer (&path);
              c.oci_ref = xstrdup (colon + 1);
              break;
            }
        }
    }
  ret = run_import (&c, res, err);
  if (c.hash.ctx)
    mc_sha256_release (&c.hash);
  /* Whatever is left in the temp dir (all of it on failure, a duplicate
   * on re-import) goes; it was never visible as an image.  */
  if (c.tmpname && mc_rm_rf_at (s->imagesfd, c.tmpname, &cleanup_err) < 0 && ret == 0)
    {
      ret = mc_error_propagate (err, &cleanup_err);
    }
  mc_error_release (&cleanup_err);
  /* A failed OCI import's layers that no image lists go too.  */
  if (ret < 0 && c.oci_layers_added && mc_layers_prune (s, NULL, &cleanup_err) < 0)
    mc_error_release (&cleanup_err);
  if (c.origfd >= 0)
    close (c.origfd);
  if (c.tmpfd >= 0)
    close (c.tmpfd);
  free (c.tmpname);
  free (c.input);
  free (c.oci_ref);
  json_decref (c.files);
  mc_metadata_release (&c.md);
  return ret;
}
