/* The host range container root maps to, as LXD picks it: the `root`
 * entry of /etc/subuid and /etc/subgid, else 1000000 with 1000000000 ids. */
#ifndef MINICTR_IDMAP_H
#define MINICTR_IDMAP_H

#include "images/store.h"
#include "lib/error.h"
#include "lib/idmapset.h"

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

/* Parse FILE's first line "root:START:COUNT" with COUNT >= 65536.  Missing
 * file or entry: the default.  Root entries, and none good: the first
 * one's error (malformed, or too small).  */
int mc_idmap_from_file (const char *file, uint32_t *base, uint32_t *count,
                        mc_error_t *err);
int mc_idmap_host_default (struct mc_idmap *map, mc_error_t *err);

/* The map recorded in CFG's volatile.idmap.base and .size; the
 * defaults (1000000, 1000000000) when they are missing.  */
void mc_idmap_of_config (json_t *cfg, uint32_t *base, uint32_t *size);

/* CFG's whole map (lib/idmapset.h): volatile.idmap.base and .size, with
 * volatile.idmap.raw, the raw.idmap in effect since the container's ids
 * were last settled (mc_container_settle_idmap).  */
int mc_idmap_set_of_config (json_t *cfg, struct mc_idmap_set *set, mc_error_t *err);

/* Write SET as PID's uid_map and gid_map.  */
int mc_idmap_write (pid_t pid, const struct mc_idmap_set *set, mc_error_t *err);

#endif
