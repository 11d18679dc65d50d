#include "runtime/config/idmap-settle.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/config/idmap.h"
#include "runtime/files/shift.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- per container: shared, isolated or none ------------------------------ */

#define ISOLATED_SIZE 65536U

static bool
isolated_block_taken (struct mc_store *s, const char *self, uint32_t base)
{
  mc_error_t e0 = NULL;
  json_t *names = mc_container_names (s, &e0), *n;
  uint32_t b, size;
  bool taken = false;
  size_t i;

  mc_error_release (&e0);
  json_array_foreach (names, i, n)
    {
      mc_error_t e = NULL;
      json_t *cfg;

      if (strcmp (json_string_value (n), self) == 0)
        continue;
      if ((cfg = mc_container_config_load (s, json_string_value (n), &e)) == NULL)
        {
          mc_error_release (&e);
          continue;
        }
      mc_idmap_of_config (cfg, &b, &size);
      taken = size == ISOLATED_SIZE && b == base;
      json_decref (cfg);
      if (taken)
        break;
    }
  json_decref (names);
  return taken;
}

/* LXD's layout: the shared map is the whole host range; isolated
 * containers get blocks of 65536 after its first block, one each.  */
static int
pick_isolated (struct mc_store *s, const char *name, const struct mc_idmap *host,
               uint32_t cur_base, uint32_t cur_size, uint32_t *base, mc_error_t *err)
{
  uint32_t b;

  if (cur_size == ISOLATED_SIZE && cur_base >= host->uid_base + ISOLATED_SIZE
      && cur_base - host->uid_base < host->uid_count && !isolated_block_taken (s, name, cur_base))
    return (*base = cur_base), 0;
  for (b = host->uid_base + ISOLATED_SIZE; b - host->uid_base <= host->uid_count - ISOLATED_SIZE;
       b += ISOLATED_SIZE)
    if (!isolated_block_taken (s, name, b))
      return (*base = b), 0;
  return mc_make_error (err, 0, "no free isolated id range left in %u:%u", host->uid_base, host->uid_count);
}

int
mc_container_settle_idmap (struct mc_store *s, const char *name, json_t *local, json_t *expanded,
                           mc_error_t *err)
{
  bool privileged = mc_config_get_bool (expanded, "security.privileged", false);
  bool isolated = mc_config_get_bool (expanded, "security.idmap.isolated", false);
  const char *cur_raw = mc_config_get (local, "volatile.idmap.raw", "");
  uint32_t cur_base, cur_size, base = 0, size = 0;
  struct mc_layer_ids have = { 0 }, want;
  cleanup_free char *raw = NULL;
  int rec;
  cleanup_close int cfd = -1, dfd = -1, lock = -1;
  struct mc_idmap host;
  struct mc_idmap_set set;
  struct stat st;
  char buf[16];

  mc_idmap_of_config (local, &cur_base, &cur_size);
  if (mc_idmap_host_default (&host, err) < 0)
    return -1;
  if ((cfd = openat (s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s/containers`", s->root);
  /* One allocation at a time, store-wide.  */
  if ((lock = mc_lock_at (cfd, ".idmap.lock", true, false, err)) < 0)
    return -1;
  if (!isolated)
    {
      base = host.uid_base;
      size = host.uid_count;
    }
  else if (pick_isolated (s, name, &host, cur_base, cur_size, &base, err) < 0)
    return -1;
  else
    size = ISOLATED_SIZE;
  /* raw.idmap, checked against the range now known, in one spelling; a
   * privileged container has no map to carve.  */
  if (privileged)
    raw = xstrdup ("");
  else if (mc_idmap_set_build (&set, base, size, mc_config_get (expanded, "raw.idmap", NULL), &raw, err) < 0)
    return mc_error_prefix (err, "container `%s`", name);
  want = (struct mc_layer_ids){ .base = privileged ? 0 : base, .size = privileged ? UINT32_MAX : size,
                                .raw = raw };

  /* The layer's own record says which ids it is in (shift.h), written
   * with the shift itself, so no crash can make it lie.  */
  if ((dfd = openat (cfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s/containers/%s`", s->root, name);
  if ((rec = mc_layer_idmap_get (dfd, "upper", &have, err)) < 0)
    return -1;
  if (rec == 0)
    {
      /* A layer from before the record (or from a backup): the owner of
       * its root, the one time; the record is written below.  */
      if (fstatat (dfd, "upper", &st, AT_SYMLINK_NOFOLLOW) < 0)
        return mc_make_error (err, errno, "stat `%s/containers/%s/upper`", s->root, name);
      have.base = (uint32_t) st.st_uid;
      have.size = have.base == 0 ? UINT32_MAX : have.base == cur_base ? cur_size : ISOLATED_SIZE;
      have.raw = xstrdup ("");
    }
  if (have.base != want.base || (!privileged && strcmp (have.raw, want.raw) != 0))
    {
      if (mc_shift_tree (dfd, "upper", &have, &want, err) < 0)
        {
          free (have.raw);
          return mc_error_prefix (err, "shift the ids of container `%s`", name);
        }
    }
  else if (rec == 0 && mc_layer_idmap_set (dfd, "upper", &have, err) < 0)
    {
      free (have.raw);
      return -1;
    }
  free (have.raw);
  if (base == cur_base && size == cur_size && strcmp (raw, cur_raw) == 0)
    return 0;
  snprintf (buf, sizeof (buf), "%u", base);
  json_object_set_new (json_object_get (local, "config"), "volatile.idmap.base", json_string (buf));
  snprintf (buf, sizeof (buf), "%u", size);
  json_object_set_new (json_object_get (local, "config"), "volatile.idmap.size", json_string (buf));
  if (*raw)
    json_object_set_new (json_object_get (local, "config"), "volatile.idmap.raw", json_string (raw));
  else
    json_object_del (json_object_get (local, "config"), "volatile.idmap.raw");
  return mc_container_config_save (s, name, local, err);
}
