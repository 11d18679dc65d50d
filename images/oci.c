#include "images/oci.h"
#include "images/fingerprint.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A JSON document of the layout (index, manifest, config) is at most
 * this large.  */
#define OCI_JSON_MAX (4 << 20)
/* Nested indexes are followed this deep.  */
#define OCI_INDEX_DEPTH 4

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

bool
mc_oci_is_layout (int dirfd)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *doc = NULL;
  mc_error_t err = NULL;
  size_t len;

  if (mc_read_untrusted_at (dirfd, "oci-layout", 64 << 10, &text, &len, &err) < 0)
    {
      mc_error_release (&err);
      return false;
    }
  doc = json_loadb (text, len, 0, NULL);
  return json_is_string (json_object_get (doc, "imageLayoutVersion"));
}

/* DIGEST is one we can check: sha256 and 64 lowercase hex digits.  */
static int
digest_check (const char *label, const char *digest, mc_error_t *err)
{
  const char *colon;

  if (digest == NULL || (colon = strchr (digest, ':')) == NULL)
    return mc_make_error (err, 0, "%s: a descriptor without a digest", label);
  if (colon - digest != 6 || strncmp (digest, "sha256", 6) != 0)
    return mc_make_error (err, 0, "%s: blob `%s`: only sha256 digests are supported", label, digest);
  if (strlen (colon + 1) != 64 || strspn (colon + 1, "0123456789abcdef") != 64)
    return mc_make_error (err, 0, "%s: blob `%s`: not a sha256 digest", label, digest);
  return 0;
}

/* The descriptor DESC's digest (checked) and size (at most MAX).  */
static int
descriptor (const char *label, json_t *desc, int64_t max, const char **digest, int64_t *size, mc_error_t *err)
{
  json_t *sz = json_object_get (desc, "size");

  if (!json_is_object (desc))
    return mc_make_error (err, 0, "%s: a descriptor that is not an object", label);
  *digest = json_string_value (json_object_get (desc, "digest"));
  if (digest_check (label, *digest, err) < 0)
    return -1;
  if (!json_is_integer (sz) || json_integer_value (sz) < 0 || json_integer_value (sz) > max)
    return mc_make_error (err, 0, "%s: blob `%s`: a size that is missing or out of range", label, *digest);
  *size = json_integer_value (sz);
  return 0;
}

/* The blob DIGEST (checked) opened beneath BLOBS (blobs/sha256), no
 * symlink followed; a regular file.  */
static int
blob_open (int blobs, const char *label, const char *digest, mc_error_t *err)
{
  int fd = openat (blobs, digest + 7, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    return errno == ENOENT ? mc_make_error (err, 0, "%s: blob `%s` is missing", label, digest)
                           : mc_make_error (err, errno, "%s: blob `%s`", label, digest);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return mc_make_error (err, 0, "%s: blob `%s` is not a regular file", label, digest);
    }
  return fd;
}

/* FD's bytes against DIGEST and SIZE.  */
static int
blob_verify (int fd, const char *label, const char *digest, int64_t size, mc_error_t *err)
{
  char got[MC_FP_HEX_LEN + 1];
  struct stat st;

  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "%s: blob `%s`", label, digest);
  if (st.st_size != size)
    return mc_make_error (err, 0, "%s: blob `%s` is %lld bytes, its descriptor says %lld", label, digest,
                          (long long) st.st_size, (long long) size);
  if (mc_sha256_fd (fd, digest, got, err) < 0)
    return -1;
  if (strcmp (got, digest + 7) != 0)
    return mc_make_error (err, 0, "%s: blob `%s` does not match its digest (its content hashes to sha256:%.12s...)",
                          label, digest, got);
  return 0;
}

/* The JSON blob DESC describes, verified and parsed strictly.  */
static json_t *
json_blob (int blobs, const char *label, json_t *desc, mc_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *text = NULL;
  const char *digest;
  json_error_t jerr;
  int64_t size;
  size_t len;
  json_t *doc;

  if (descriptor (label, desc, OCI_JSON_MAX, &digest, &size, err) < 0
      || (fd = blob_open (blobs, label, digest, err)) < 0 || blob_verify (fd, label, digest, size, err) < 0
      || mc_read_fd (fd, digest, OCI_JSON_MAX, &text, &len, err) < 0)
    return NULL;
  if ((doc = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object (doc))
    {
      json_decref (doc);
      mc_make_error (err, 0, "%s: blob `%s` is not a JSON object%s%s", label, digest, doc ? "" : ": ",
                     doc ? "" : jerr.text);
      return NULL;
    }
  return doc;
}

#define REF_NAME "org.opencontainers.image.ref.name"

static bool
for_us (json_t *m)
{
  json_t *plat = json_object_get (m, "platform");
  const char *os = json_string_value (json_object_get (plat, "os"));
  const char *arch = json_string_value (json_object_get (plat, "architecture"));

  return plat == NULL || ((os == NULL || strcmp (os, "linux") == 0) && (arch == NULL || strcmp (arch, "amd64") == 0));
}

/* An index's entry for us: with REF (the top index only), the one of that
 * ref name; else one for linux/amd64 (or with no platform), which must be
 * the only one at the top (several images: name one).  NULL with *ERR.  */
static json_t *
pick (json_t *manifests, const char *label, const char *ref, bool top, mc_error_t *err)
{
  cleanup_free char *names = NULL;
  json_t *m, *found = NULL;
  size_t i, n = 0, named = 0;

  json_array_foreach (manifests, i, m)
    {
      const char *name = json_string_value (json_object_get (json_object_get (m, "annotations"), REF_NAME));

      if (ref && top)
        {
          if (name && strcmp (name, ref) == 0)
            return m;
        }
      else if (for_us (m))
        {
          if (found == NULL)
            found = m;
          n++;
        }
      /* The names, for an error: the first 20.  */
      if (top && name && named++ < 20)
        {
          char *more = xasprintf ("%s%s%s%s", names ? names : "", names ? ", " : "", name, named == 20 ? ", ..." : "");

          free (names);
          names = more;
        }
    }
  if (ref && top)
    mc_make_error (err, 0, "%s: no image `%s` in the layout (its images: %s)", label, ref, names ? names : "none named");
  else if (found == NULL)
    mc_make_error (err, 0, "%s: no image for linux/amd64 in the index", label);
  else if (top && n > 1)
    {
      mc_make_error (err, 0, "%s: the layout holds %zu images (%s): name one, as %s:NAME", label, n,
                     names ? names : "none named", label);
      return NULL;
    }
  return found;
}

static bool
media_type_is (json_t *desc, const char *a, const char *b)
{
  const char *mt = json_string_value (json_object_get (desc, "mediaType"));

  return mt && (strcmp (mt, a) == 0 || (b && strcmp (mt, b) == 0));
}

/* The manifest the layout's index leads to (REF: the image of that ref
 * name), and its digest.  */
static json_t *
find_manifest (int dirfd, int blobs, const char *label, const char *ref, char digest[MC_OCI_DIGEST_LEN + 1],
               char **ref_name, mc_error_t *err)
{
  cleanup_free char *text = NULL;
  json_t *index, *desc;
  json_error_t jerr;
  size_t len;
  int depth;

  if (mc_read_untrusted_at (dirfd, "index.json", OCI_JSON_MAX, &text, &len, err) < 0)
    return NULL;
  if ((index = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object (index))
    {
      json_decref (index);
      mc_make_error (err, 0, "%s: index.json is not a JSON object", label);
      return NULL;
    }
  for (depth = 0; depth < OCI_INDEX_DEPTH; depth++)
    {
      json_t *next;

      bool is_manifest, is_index;

      if ((desc = pick (json_object_get (index, "manifests"), label, ref, depth == 0, err)) == NULL)
        {
          json_decref (index);
          return NULL;
        }
      next = json_blob (blobs, label, desc, err);
      if (next == NULL)
        {
          json_decref (index);
          return NULL;
        }
      snprintf (digest, MC_OCI_DIGEST_LEN + 1, "%s", json_string_value (json_object_get (desc, "digest")));
      if (depth == 0)
        {
          const char *name = json_string_value (json_object_get (json_object_get (desc, "annotations"), REF_NAME));

          *ref_name = name ? xstrdup (name) : NULL;
        }
      is_manifest = media_type_is (desc, MT_MANIFEST, MT_DOCKER_MANIFEST)
                    || (!json_object_get (desc, "mediaType") && json_object_get (next, "layers"));
      is_index = media_type_is (desc, MT_INDEX, MT_DOCKER_LIST) || json_object_get (next, "manifests");
      /* (DESC is INDEX's: read before INDEX goes)  */
      json_decref (index);
      if (is_manifest)
        return next;
      if (!is_index)
        {
          json_decref (next);
          mc_make_error (err, 0, "%s: blob `%s` is neither a manifest nor an index", label, digest);
          return NULL;
        }
      index = next;
    }
  json_decref (index);
  mc_make_error (err, 0, "%s: indexes nested more than %d deep", label, OCI_INDEX_DEPTH);
  return NULL;
}

/* LAYER's media type is one we can unpack (a tar, gzip'ed or zstd'ed).  */
static bool
layer_type_known (const char *mt)
{
  static const char *const known[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
  };
  size_t i;

  for (i = 0; mt && i < sizeof (known) / sizeof (known[0]); i++)
    if (strcmp (mt, known[i]) == 0)
      return true;
  return false;
}

int
mc_oci_layout_read (int dirfd, const char *label, const char *ref, struct mc_oci_image *img, mc_error_t *err)
{
  cleanup_close int blobs_dir = -1, blobs = -1;
  cleanup_json json_t *manifest = NULL, *config = NULL;
  json_t *layers, *desc, *diff_ids;
  size_t i;

  memset (img, 0, sizeof (*img));
  if (!mc_oci_is_layout (dirfd))
    return mc_make_error (err, 0, "%s: not an OCI image layout (no oci-layout file with an imageLayoutVersion)",
                          label);
  if ((blobs_dir = openat (dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0
      || (blobs = openat (blobs_dir, "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno == ELOOP || errno == ENOTDIR ? 0 : errno,
                          "%s: no blobs/sha256 directory%s", label,
                          errno == ELOOP || errno == ENOTDIR ? " (a symlink, or not a directory)" : "");
  if ((manifest = find_manifest (dirfd, blobs, label, ref, img->manifest_digest, &img->ref_name, err)) == NULL)
    goto fail;
  if ((config = json_blob (blobs, label, json_object_get (manifest, "config"), err)) == NULL)
    goto fail;
  snprintf (img->config_digest, sizeof (img->config_digest), "%s",
            json_string_value (json_object_get (json_object_get (manifest, "config"), "digest")));
  layers = json_object_get (manifest, "layers");
  if (!json_is_array (layers) || json_array_size (layers) == 0)
    {
      mc_make_error (err, 0, "%s: manifest `%s` has no layers", label, img->manifest_digest);
      goto fail;
    }
  diff_ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  if (json_array_size (diff_ids) != json_array_size (layers))
    {
      mc_make_error (err, 0, "%s: the config lists %zu layers, the manifest %zu", label, json_array_size (diff_ids),
                     json_array_size (layers));
      goto fail;
    }
  img->layers = xmalloc0 (json_array_size (layers) * sizeof (*img->layers));
  json_array_foreach (layers, i, desc)
    {
      struct mc_oci_layer *l = &img->layers[i];
      cleanup_close int fd = -1;
      const char *digest, *mt = json_string_value (json_object_get (desc, "mediaType"));

      img->n_layers = i + 1;
      if (descriptor (label, desc, INT64_MAX, &digest, &l->size, err) < 0)
        goto fail;
      snprintf (l->digest, sizeof (l->digest), "%s", digest);
      if (!layer_type_known (mt))
        {
          mc_make_error (err, 0, "%s: layer `%s` has media type `%s`, not a tar (plain, gzip or zstd)", label,
                         digest, mt ? mt : "");
          goto fail;
        }
      l->media_type = xstrdup (mt);
      if ((fd = blob_open (blobs, label, digest, err)) < 0 || blob_verify (fd, label, digest, l->size, err) < 0)
        goto fail;
    }
  {
    json_t *c = json_object_get (config, "config");
    const char *arch = json_string_value (json_object_get (config, "architecture"));
    const char *os = json_string_value (json_object_get (config, "os"));

    json_t *ann = json_object_get (manifest, "annotations");

    img->config = json_is_object (c) ? json_incref (c) : json_object ();
    img->annotations = json_is_object (ann) ? json_incref (ann) : json_object ();
    img->architecture = xstrdup (arch ? arch : "");
    img->os = xstrdup (os ? os : "");
    img->created = mc_parse_time (json_string_value (json_object_get (config, "created")));
  }
  return 0;

fail:
  mc_oci_image_release (img);
  return -1;
}

void
mc_oci_image_release (struct mc_oci_image *img)
{
  size_t i;

  for (i = 0; i < img->n_layers; i++)
    free (img->layers[i].media_type);
  free (img->layers);
  json_decref (img->config);
  json_decref (img->annotations);
  free (img->architecture);
  free (img->os);
  free (img->ref_name);
  memset (img, 0, sizeof (*img));
}
