/* Where profiles meet containers (LXD's stacked config): a container's
 * expanded config (its profiles in order, then its own config and
 * devices on top), which containers use a profile, and the profile
 * operations that must look at them: delete, refused while a container
 * uses the profile, and rename, carried into the containers.  Above
 * both stores (runtime/config/profiles.h, runtime/container.h).  */
#ifndef MINICTR_STACKING_H
#define MINICTR_STACKING_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

/* mc_container_config_load + mc_config_expand (runtime/config/profiles.h).  */
json_t *mc_container_config_expanded (struct mc_store *s, const char *name,
                                      mc_error_t *err);

/* Containers whose `profiles` list NAME, sorted.  */
json_t *mc_profile_used_by (struct mc_store *s, const char *name, mc_error_t *err);

/* LXD's `profile delete`: not `default`, not while a container uses it.  */
int mc_profile_delete (struct mc_store *s, const char *name, mc_error_t *err);
/* LXD's `profile rename`: not `default`; the containers that use it
 * follow.  */
int mc_profile_rename (struct mc_store *s, const char *from, const char *to,
                       mc_error_t *err);

#endif
