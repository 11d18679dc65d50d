/* Profiles on disk: $MINICTR_DIR/profiles/NAME.yaml.  The shipped ones
 * (the YAML files in the source tree's profiles/) are compiled in and installed on
 * first use or by `admin init`.  */
#ifndef MINICTR_PROFILES_H
#define MINICTR_PROFILES_H

#include "images/store.h"
#include "runtime/error.h"

/* Create profiles/ and install the shipped profiles that are missing;
 * existing ones are left as the user edited them.  Idempotent.  */
int mc_profiles_install_defaults (struct mc_store *s, mc_error_t *err);

#endif
