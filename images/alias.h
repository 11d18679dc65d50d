/* Image aliases (images/aliases.yaml: alias -> target, description),
 * changed under the store lock.  */
#ifndef MINICTR_ALIAS_H
#define MINICTR_ALIAS_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

/* Aliases.  */
int mc_alias_validate (const char *name, mc_error_t *err);
int mc_alias_create (struct mc_store *s, const char *name, const char *fp,
                     const char *description, mc_error_t *err);
int mc_alias_delete (struct mc_store *s, const char *name, mc_error_t *err);
int mc_alias_rename (struct mc_store *s, const char *from, const char *to,
                     mc_error_t *err);
/* Array of {name, target, description}, sorted by name.  */
json_t *mc_alias_list (struct mc_store *s, mc_error_t *err);


#endif
