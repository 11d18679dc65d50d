/* The host ids a container starts with, settled before each start: the
 * shared host range, an isolated block of its own away from every other
 * container's (security.idmap.isolated), or none when privileged; its
 * upper layer is re-owned when it is in other ids.  Above the container
 * store: it reads every container's config.  */
#ifndef MINICTR_IDMAP_SETTLE_H
#define MINICTR_IDMAP_SETTLE_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

/* Before a start (container lock held): settle which host ids container
 * NAME uses -- the shared host range, an isolated block of 65536 of its
 * own (security.idmap.isolated, unique among containers), or none when
 * privileged -- with raw.idmap's entries carved out of it, re-own its
 * upper layer if it is in other ids, and record the map in LOCAL's
 * volatile.idmap.* (.raw: the entries).  EXPANDED: the effective config. */
int mc_container_settle_idmap (struct mc_store *s, const char *name, json_t *local,
                               json_t *expanded, mc_error_t *err);

#endif
