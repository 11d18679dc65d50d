/* The host range container root maps to, as LXD picks it: the `root`
 * entry of /etc/subuid and /etc/subgid, else 1000000 with 1000000000 ids. */
#ifndef MINICTR_IDMAP_H
#define MINICTR_IDMAP_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

#include <stdint.h>
#include <sys/types.h>

struct mc_idmap
{
  uint32_t uid_base, uid_count;
  uint32_t gid_base, gid_count;
};

#define MC_IDMAP_DEFAULT_BASE 1000000U
#define MC_IDMAP_DEFAULT_COUNT 1000000000U
#define MC_IDMAP_MIN_COUNT 65536U

/* Parse FILE's first line "root:START:COUNT" (COUNT >= 65536).  Missing
 * file or entry: the default.  A malformed entry is an error.  */
int mc_idmap_from_file (const char *file, uint32_t *base, uint32_t *count,
                        mc_error_t *err);
int mc_idmap_host_default (struct mc_idmap *map, mc_error_t *err);

/* Before a start (container lock held): settle which host ids container
 * NAME uses -- the shared host range, an isolated block of 65536 of its
 * own (security.idmap.isolated, unique among containers), or none when
 * privileged -- re-own its upper layer if it is in other ids, and record
 * the map in LOCAL's volatile.idmap.*.  EXPANDED: the effective config. */
int mc_container_settle_idmap (struct mc_store *s, const char *name, json_t *local,
                               json_t *expanded, mc_error_t *err);

/* Map PID's user namespace: 0 -> BASE for SIZE ids, uids and gids.  */
int mc_idmap_write (pid_t pid, uint32_t base, uint32_t size, mc_error_t *err);

#endif
