/* Changing configuration: `config set|unset|edit|device` on a container
 * and the same on a profile.  Every change is validated before anything
 * is written (a rejected change leaves config.yaml byte for byte as it
 * was), written atomically under the container's (or profiles/) lock, and
 * its live keys are applied at once to the running containers it
 * concerns.  */
#ifndef MINICTR_CONFIGURE_H
#define MINICTR_CONFIGURE_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

/* What a change does to its device.  */
enum mc_device_op
{
  MC_DEVICE_ADD_REMOVE,      /* add DEVICE_CONF, or remove when it is NULL */
  MC_DEVICE_SET,             /* KEYS/VALUES are the device's keys */
  MC_DEVICE_OVERRIDE,        /* container only: a copy of the profile's
                                device, with KEYS/VALUES set on it */
};

/* A change to a config/devices document (a container's or a profile's). */
struct mc_config_change
{
  const char *const *keys;   /* set: KEYS[i] = VALUES[i]; unset: VALUES NULL */
  const char *const *values;
  size_t n;
  const char *device;        /* device add/remove/set/override: its name */
  json_t *device_conf;       /* device add: type and keys; NULL: remove */
  enum mc_device_op device_op;
  bool property;             /* KEYS are the document's own fields
                                (description; a container's ephemeral),
                                LXD's --property */
  json_t *replace;           /* edit: the whole new document */
  json_t *profiles;          /* container only: the new profile list */
};

/* Apply CHANGE to container NAME.  *DEFERRED (may be NULL) gets the keys
 * that only apply at the next start, when the container is running.  */
int mc_container_configure (struct mc_store *s, const char *name,
                            const struct mc_config_change *change,
                            json_t **deferred, mc_error_t *err);

/* The same for profile NAME; running containers using it get its live
 * keys at once.  */
int mc_profile_configure (struct mc_store *s, const char *name,
                          const struct mc_config_change *change,
                          json_t **deferred, mc_error_t *err);

/* The device part of CHANGE (add, remove, set, override) applied to DOC
 * alone, a container's or a profile's document as the API has it, with
 * EXP_DEVICES its devices with its profiles' (a container's; NULL: its
 * own): what a client of a remote does before it PUTs DOC back, where the
 * server checks it again.  */
int mc_config_change_device (json_t *doc, json_t *exp_devices, const struct mc_config_change *change,
                             bool container, mc_error_t *err);

/* Re-apply the live part (cgroup limits) of NAME's expanded config if it
 * is running; nothing when stopped.  */
int mc_container_apply_live (struct mc_store *s, const char *name,
                             mc_error_t *err);

#endif
