/* Containers on disk: $MINICTR_DIR/containers/NAME/
 *
 *   config.yaml   LXD's instance shape: architecture, config (image.*,
 *                 volatile.*, user keys), devices, profiles, ephemeral,
 *                 created_at, last_used_at
 *   upper/ work/  the overlayfs layer holding everything the container
 *                 changed; the image's rootfs is the (shared) lower layer
 *   rootfs/       mount point for the merged tree (mounted only inside
 *                 the container's own mount namespace, never on the host)
 *   lower/        mount point for the idmapped image rootfs (ditto)
 *   console.log   the bounded console log
 *   .lock         flock(): commands on one container are serialised
 *
 * Runtime state (PIDs) lives in the run directory (paths.h).  */
#ifndef MINICTR_CONTAINER_H
#define MINICTR_CONTAINER_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MC_NAME_MAX 63

/* LXD's rules: 1-63 of [a-zA-Z0-9-], not starting with a digit or a
 * hyphen, not ending with a hyphen (a valid hostname label).  */
int mc_container_name_validate (const char *name, mc_error_t *err);

struct mc_create_request
{
  const char *name;
  const char *image;   /* alias or fingerprint prefix */
  json_t *overrides;   /* YAML given to `init` on stdin, or NULL */
  bool ephemeral;
  const char *const *profiles; /* NULL: ["default"] */
  size_t n_profiles;
  /* LXD's `-d DEVICE,KEY=VALUE`: a key of a device, the container's own
   * (from OVERRIDES) or a copy of its profiles' (overridden, as `config
   * device override` does).  */
  const char *const *device_keys;
  size_t n_device_keys;
};

/* Create the container (stopped).  Atomic: built in a temp directory and
 * renamed into place; a name clash is an error and leaves nothing.  */
int mc_container_create (struct mc_store *s, const struct mc_create_request *req,
                         mc_error_t *err);

/* Open containers/NAME (O_PATH-free directory fd); ENOENT -> clear error. */
int mc_container_open_dir (struct mc_store *s, const char *name, mc_error_t *err);

bool mc_container_exists (struct mc_store *s, const char *name);

/* Take the container's lock (blocking), after checking it exists, then
 * put right what a command killed on its way left on it: the hook set
 * with mc_container_set_recover (mc_snapshot_recover: a restore
 * finished, a snapshot's freeze undone; docs/RELIABILITY.md).  Every
 * command that changes a container goes through here.  */
int mc_container_lock (struct mc_store *s, const char *name, mc_error_t *err);
/* The lock alone, for deleting the container: it all goes anyway.  */
int mc_container_lock_bare (struct mc_store *s, const char *name, mc_error_t *err);
typedef int (*mc_container_recover_fn) (struct mc_store *s, const char *name, mc_error_t *err);
void mc_container_set_recover (mc_container_recover_fn fn);

json_t *mc_container_config_load (struct mc_store *s, const char *name, mc_error_t *err);
int mc_container_config_save (struct mc_store *s, const char *name, json_t *cfg,
                              mc_error_t *err);
/* The same on the container directory DFD.  */
json_t *mc_container_config_load_at (int dfd, mc_error_t *err);
int mc_container_config_save_at (int dfd, json_t *cfg, mc_error_t *err);

/* Remove the container's directory (it must be stopped).  */
int mc_container_remove (struct mc_store *s, const char *name, mc_error_t *err);

/* $MINICTR_DIR/containers, created on first use.  */
int mc_containers_dir (struct mc_store *s, mc_error_t *err);

/* A random (version 4) UUID, as LXD's volatile.uuid.  */
void mc_random_uuid (char out[37]);

/* Names of all containers, sorted.  */
json_t *mc_container_names (struct mc_store *s, mc_error_t *err);

#endif
