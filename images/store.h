/* The image store: $MINICTR_DIR/images/.
 *
 *   images/.lock            flock: serialises commits, deletes, alias edits
 *   images/aliases.yaml     alias -> {target, description}
 *   images/<fingerprint>/   one image, renamed into place only when whole:
 *       image.yaml          LXD API fields + a `store:` section (files, status)
 *       metadata.yaml       as shipped in the image
 *       rootfs/ templates/  unpacked
 *       orig/               the imported file(s), byte for byte, for export
 *                           and `image verify`
 *   images/.tmp-*           imports or deletes in progress; each is flock()ed
 *                           by its owner, so any unlocked one is debris of a
 *                           killed process and is removed on the next open.
 */
#ifndef MINICTR_STORE_H
#define MINICTR_STORE_H

#include "images/archive.h"
#include "images/fingerprint.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct mc_store
{
  char *root;    /* the state directory */
  int rootfd;
  int imagesfd;
  /* What one read of many objects (`list`) may keep: profiles and image
   * records by name, and the containers directory; NULL/-1 otherwise. */
  json_t *cache;
  int containersfd;
};

/* Open (creating on first use) the state directory and its image store,
 * and sweep away debris left by killed imports.  */
int mc_store_open (struct mc_store *s, mc_error_t *err);
void mc_store_close (struct mc_store *s);
/* Keep what is read (mc_store_cached, mc_store_keep) until
 * mc_store_close: for a command that reads every container once and
 * changes nothing, where the same profiles and image records would
 * otherwise be read again for each.  */
void mc_store_cache_begin (struct mc_store *s);
/* The cached KEY (a new reference to a value every caller shares: not to
 * be changed), or NULL (not kept, or no cache).  */
json_t *mc_store_cached (struct mc_store *s, const char *key);
/* Keep a copy of V under KEY when caching; V is the caller's still.  */
void mc_store_keep (struct mc_store *s, const char *key, json_t *v);
/* $MINICTR_DIR/NAME (containers, profiles, networks, images), made with
 * MODE on first use; an fd of it, never through a symlink.  */
int mc_store_subdir (struct mc_store *s, const char *name, mode_t mode, mc_error_t *err);
/* The same for a reader: never made; -1 with errno ENOENT when there is
 * none yet (nothing in it, then: a listing works on a full or read-only
 * filesystem).  */
int mc_store_subdir_if_any (struct mc_store *s, const char *name);

/* An alias, else a unique fingerprint prefix.  */
int mc_image_resolve (struct mc_store *s, const char *ref,
                      char fp[MC_FP_HEX_LEN + 1], mc_error_t *err);

/* The image as LXD's API shows it (fingerprint, aliases, architecture,
 * properties, size, created_at, uploaded_at, ...).  */
json_t *mc_image_get (struct mc_store *s, const char *fp, mc_error_t *err);
/* Every image, sorted by first alias then fingerprint.  */
json_t *mc_image_list (struct mc_store *s, mc_error_t *err);

/* The store lock (images/.lock), shared: held by whatever makes a
 * container on an image from the image's lookup to the container's rename
 * into place, so that `image delete` (exclusive) either sees the
 * container among the image's users or has removed the image before the
 * lookup.  */
int mc_store_lock_shared (struct mc_store *s, mc_error_t *err);

/* Internal to images/: the aliases file (changed under the store lock),
 * the store lock and the image records.  */
json_t *mc_aliases_load (struct mc_store *s, mc_error_t *err);
int mc_aliases_save (struct mc_store *s, json_t *aliases, mc_error_t *err);
int mc_store_lock (struct mc_store *s, mc_error_t *err);
json_t *mc_image_record_load (struct mc_store *s, const char *fp, mc_error_t *err);
int mc_image_record_save (struct mc_store *s, int dirfd, json_t *rec, mc_error_t *err);

#endif
