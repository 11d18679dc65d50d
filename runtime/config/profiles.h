/* Profiles on disk: $MINICTR_DIR/profiles/NAME.yaml (description, config,
 * devices).  The shipped ones (the YAML files in the source tree's profiles/) are
 * compiled in and installed on first use or by `admin init`; `default`
 * always exists and can be neither deleted nor renamed.  Changes are
 * written atomically under profiles/.lock.  */
#ifndef MINICTR_PROFILES_H
#define MINICTR_PROFILES_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

/* Create profiles/ and install the shipped profiles that are missing;
 * existing ones are left as the user edited them.  Idempotent.  */
int mc_profiles_install_defaults (struct mc_store *s, mc_error_t *err);

int mc_profile_name_validate (const char *name, mc_error_t *err);

/* The profile as an object with description, config and devices.  */
json_t *mc_profile_load (struct mc_store *s, const char *name, mc_error_t *err);

/* Sorted names.  */
json_t *mc_profile_names (struct mc_store *s, mc_error_t *err);

/* Lock profiles/ for a read-modify-write; returns the lock fd.  */
int mc_profiles_lock (struct mc_store *s, mc_error_t *err);

/* Validate and write PROFILE (create or replace).  CREATE: refuse an
 * existing name.  */
int mc_profile_save (struct mc_store *s, const char *name, json_t *profile,
                     bool create, mc_error_t *err);

/* The file alone: whether containers use the profile is the caller's
 * business (runtime/config/stacking.h).  */
int mc_profile_unlink (struct mc_store *s, const char *name, mc_error_t *err);
/* Rename the file, never over another profile.  */
int mc_profile_move (struct mc_store *s, const char *from, const char *to, mc_error_t *err);

/* The effective configuration: the profiles named in CFG's `profiles`, in
 * order, then CFG's own config and devices (later wins; devices by
 * name).  Returns a new object shaped like CFG.  */
json_t *mc_config_expand (struct mc_store *s, json_t *cfg, mc_error_t *err);

/* LXD's `-d DEVICE,KEY=VALUE` (KEYS, N of them) on CFG, a new container's
 * config: a key of its own device, or of a copy of its profiles' device
 * (overridden, as `config device override` does).  */
int mc_config_device_keys (struct mc_store *s, json_t *cfg, const char *const *keys, size_t n, mc_error_t *err);

#endif
