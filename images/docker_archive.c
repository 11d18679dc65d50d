#include "images/docker_archive.h"
#include "images/fingerprint.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOCKER_JSON_MAX (4 << 20)
#define REF_NAME "org.opencontainers.image.ref.name"

bool
mc_docker_archive_is (int dirfd)
{
  cleanup_free char *text = NULL;
  cleanup_json json_t *doc = NULL;
  mc_error_t err = NULL;
  size_t len;

  if (mc_read_untrusted_at (dirfd, "manifest.json", DOCKER_JSON_MAX, &text, &len, &err) < 0)
    {
      mc_error_release (&err);
      return false;
    }
  doc = json_loadb (text, len, 0, NULL);
  return json_is_array (doc);
}

static bool
is_hex64 (const char *s, size_t len)
{
  return len == MC_FP_HEX_LEN && strspn (s, "0123456789abcdef") >= MC_FP_HEX_LEN;
}

/* Whether the docker reference TAG is what REF asks for: the same, or REF
 * without a tag (`:latest`), or TAG in podman's `localhost/` namespace.  */
static bool
tag_matches (const char *tag, const char *ref)
{
  size_t n = strlen (ref);

  if (strncmp (tag, "localhost/", 10) == 0 && strncmp (ref, "localhost/", 10) != 0)
    tag += 10;
  return strcmp (tag, ref) == 0 || (strncmp (tag, ref, n) == 0 && strcmp (tag + n, ":latest") == 0);
}

/* The tags of LIST's images, for an error: the first 20, then "...".  */
static char *
tag_list (json_t *list)
{
  json_t *entry, *tag;
  size_t i, j, n = 0, len = 0, cap = 256;
  char *out = xmalloc (cap);

  out[0] = '\0';
  json_array_foreach (list, i, entry)
    json_array_foreach (json_object_get (entry, "RepoTags"), j, tag)
      {
        const char *t = json_string_value (tag);
        size_t tl;

        if (t == NULL)
          continue;
        if (n++ == 20)
          t = "...";
        tl = strlen (t) + 2;
        if (len + tl + 1 > cap)
          out = xrealloc (out, cap = 2 * (len + tl + 1));
        len += (size_t) sprintf (out + len, "%s%s", len ? ", " : "", t);
        if (n > 20)
          return out;
      }
  if (n == 0)
    {
      free (out);
      return xstrdup ("none");
    }
  return out;
}

/* The entry of manifest.json's list that REF names (or the only one).  */
static json_t *
pick (json_t *list, const char *label, const char *ref, mc_error_t *err)
{
  cleanup_free char *tags = NULL;
  json_t *entry, *tag, *found = NULL;
  size_t i, j;

  if (!json_is_array (list))
    return mc_make_error (err, 0, "`%s`: its manifest.json is not a JSON list", label), NULL;
  if (json_array_size (list) == 0)
    return mc_make_error (err, 0, "`%s`: its manifest.json lists no image", label), NULL;
  if (ref)
    json_array_foreach (list, i, entry)
      {
        json_array_foreach (json_object_get (entry, "RepoTags"), j, tag)
          if (json_string_value (tag) && tag_matches (json_string_value (tag), ref))
            break;
        if (j < json_array_size (json_object_get (entry, "RepoTags")))
          {
            found = entry;
            break;
          }
      }
  if (ref && found == NULL)
    return tags = tag_list (list),
           mc_make_error (err, 0, "`%s`: no image tagged `%s` in the archive (it has: %s)", label, ref, tags), NULL;
  if (ref == NULL && json_array_size (list) > 1)
    return tags = tag_list (list),
           mc_make_error (err, 0, "`%s` holds %zu images: name one as `%s:TAG` (it has: %s)", label,
                          json_array_size (list), label, tags),
           NULL;
  if (found == NULL)
    found = json_array_get (list, 0);
  if (!json_is_object (found))
    return mc_make_error (err, 0, "`%s`: its manifest.json lists something that is not an image", label), NULL;
  return found;
}

/* DIRFD/NAME as a directory of ours: made, or there (not a symlink).  */
static int
subdir (int dirfd, const char *name, const char *label, mc_error_t *err)
{
  int fd;

  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "mkdir `%s`", name);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno == ELOOP || errno == ENOTDIR ? 0 : errno, "`%s`: `%s` is not a directory",
                          label, name);
  return fd;
}

/* TEXT as blob HEX (its sha256) in BLOBS.  */
static int
write_blob (int blobs, const char *hex, const char *text, size_t len, mc_error_t *err)
{
  if (faccessat (blobs, hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  return mc_write_file_atomic_at (blobs, hex, text, len, 0644, err);
}

/* The config at PATH: checked against the digest its name carries
 * (`<hex>.json`, or `blobs/sha256/<hex>`), stored as a blob; its digest
 * and size in *HEX and *SIZE, its JSON in *DOC.  */
static int
config_blob (int dirfd, int blobs, const char *label, const char *path, char hex[MC_FP_HEX_LEN + 1], size_t *size,
             json_t **doc, mc_error_t *err)
{
  cleanup_free char *text = NULL;
  const char *base = strrchr (path, '/');
  json_error_t jerr;
  size_t len, n;

  base = base ? base + 1 : path;
  n = strlen (base);
  if (n > 5 && strcmp (base + n - 5, ".json") == 0)
    n -= 5;
  if (!is_hex64 (base, n))
    return mc_make_error (err, 0, "`%s`: config `%s` is not named by its sha256", label, path);
  if (mc_read_untrusted_at (dirfd, path, DOCKER_JSON_MAX, &text, &len, err) < 0)
    return mc_error_prefix (err, "`%s`: config", label), -1;
  if (mc_sha256_bytes (text, len, hex, err) < 0)
    return -1;
  if (strncmp (hex, base, MC_FP_HEX_LEN) != 0)
    return mc_make_error (err, 0, "`%s`: config `%s` does not match its name (its content hashes to sha256:%.12s...)",
                          label, path, hex);
  *doc = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object (*doc))
    return mc_make_error (err, 0, "`%s`: config `%s` is not a JSON object", label, path);
  *size = len;
  return write_blob (blobs, hex, text, len, err);
}

/* Layer PATH: hashed, checked against DIFF_ID, linked into BLOBS.  */
static int
layer_blob (int dirfd, int blobs, const char *label, const char *path, const char *diff_id, int64_t *size,
            mc_error_t *err)
{
  cleanup_close int fd = -1;
  char hex[MC_FP_HEX_LEN + 1];
  struct stat st;

  if (diff_id == NULL || strncmp (diff_id, "sha256:", 7) != 0 || !is_hex64 (diff_id + 7, strlen (diff_id + 7)))
    return mc_make_error (err, 0, "`%s`: layer `%s` has no sha256 diff_id in the config", label, path);
  if ((fd = mc_open_untrusted_at (dirfd, path, err)) < 0)
    return mc_error_prefix (err, "`%s`: layer", label), -1;
  if (fstat (fd, &st) < 0)
    return mc_make_error (err, errno, "stat `%s`", path);
  if (mc_sha256_fd (fd, path, hex, err) < 0)
    return -1;
  if (strcmp (hex, diff_id + 7) != 0)
    return mc_make_error (err, 0,
                          "`%s`: layer `%s` does not match its diff_id %.19s... (its content hashes to "
                          "sha256:%.12s...; a compressed layer is not a docker-archive's)",
                          label, path, diff_id, hex);
  *size = (int64_t) st.st_size;
  if (linkat (dirfd, path, blobs, hex, 0) < 0 && errno != EEXIST)
    return mc_make_error (err, errno, "link layer `%s`", path);
  return 0;
}

int
mc_docker_archive_to_oci (int dirfd, const char *label, const char *ref, mc_error_t *err)
{
  cleanup_free char *text = NULL, *manifest_text = NULL, *index_text = NULL;
  cleanup_json json_t *list = NULL, *config = NULL, *layer_descs = NULL, *manifest = NULL, *index = NULL,
                      *desc = NULL;
  cleanup_close int blobs_dir = -1, blobs = -1;
  char cfg_hex[MC_FP_HEX_LEN + 1], m_hex[MC_FP_HEX_LEN + 1], digest[MC_FP_HEX_LEN + 8];
  json_t *entry, *layers, *diff_ids, *l, *tags;
  const char *cfg_path, *name;
  size_t len, cfg_size = 0, i;

  if (mc_read_untrusted_at (dirfd, "manifest.json", DOCKER_JSON_MAX, &text, &len, err) < 0)
    return -1;
  list = json_loadb (text, len, JSON_REJECT_DUPLICATES, NULL);
  if ((entry = pick (list, label, ref, err)) == NULL)
    return -1;
  cfg_path = json_string_value (json_object_get (entry, "Config"));
  layers = json_object_get (entry, "Layers");
  if (cfg_path == NULL || !json_is_array (layers) || json_array_size (layers) == 0)
    return mc_make_error (err, 0, "`%s`: its manifest.json names no config or no layers", label);
  if ((blobs_dir = subdir (dirfd, "blobs", label, err)) < 0 || (blobs = subdir (blobs_dir, "sha256", label, err)) < 0)
    return -1;
  if (config_blob (dirfd, blobs, label, cfg_path, cfg_hex, &cfg_size, &config, err) < 0)
    return -1;
  diff_ids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  if (json_array_size (diff_ids) != json_array_size (layers))
    return mc_make_error (err, 0, "`%s`: the config lists %zu layers, manifest.json %zu", label,
                          json_array_size (diff_ids), json_array_size (layers));
  layer_descs = json_array ();
  json_array_foreach (layers, i, l)
    {
      const char *path = json_string_value (l), *diff_id = json_string_value (json_array_get (diff_ids, i));
      int64_t size = 0;

      if (path == NULL)
        return mc_make_error (err, 0, "`%s`: its manifest.json lists a layer that is not a path", label);
      if (layer_blob (dirfd, blobs, label, path, diff_id, &size, err) < 0)
        return -1;
      json_array_append_new (layer_descs, json_pack ("{s:s, s:s, s:I}", "mediaType",
                                                     "application/vnd.oci.image.layer.v1.tar", "digest", diff_id,
                                                     "size", (json_int_t) size));
    }
  /* The OCI manifest an OCI tool would write for it.  */
  snprintf (digest, sizeof (digest), "sha256:%s", cfg_hex);
  manifest = json_pack ("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                        "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                        "application/vnd.oci.image.config.v1+json", "digest", digest, "size", (json_int_t) cfg_size,
                        "layers", layer_descs);
  manifest_text = json_dumps (manifest, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (mc_sha256_bytes (manifest_text, strlen (manifest_text), m_hex, err) < 0
      || write_blob (blobs, m_hex, manifest_text, strlen (manifest_text), err) < 0)
    return -1;
  snprintf (digest, sizeof (digest), "sha256:%s", m_hex);
  desc = json_pack ("{s:s, s:s, s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest", digest,
                    "size", (json_int_t) strlen (manifest_text));
  tags = json_object_get (entry, "RepoTags");
  name = ref ? ref : json_string_value (json_array_get (tags, 0));
  if (name)
    json_object_set_new (desc, "annotations", json_pack ("{s:s}", REF_NAME, name));
  index = json_pack ("{s:i, s:s, s:[O]}", "schemaVersion", 2, "mediaType", "application/vnd.oci.image.index.v1+json",
                     "manifests", desc);
  index_text = json_dumps (index, JSON_COMPACT | JSON_PRESERVE_ORDER);
  static const char *const keep[] = { "orig", "blobs", "index.json", "oci-layout" };

  if (mc_rm_rf_all_but_at (dirfd, keep, sizeof (keep) / sizeof (keep[0]), err) < 0
      || mc_write_file_atomic_at (dirfd, "index.json", index_text, strlen (index_text), 0644, err) < 0)
    return -1;
  return mc_write_file_atomic_at (dirfd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, err);
}
