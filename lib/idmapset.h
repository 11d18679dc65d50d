/* A container's id maps: its uids and gids, each a short list of extents
 * (COUNT container ids from NS on, host ids from HOST on), as the kernel
 * takes them in /proc/PID/uid_map and gid_map.  Every unprivileged
 * container has its range (volatile.idmap.base and .size: container id 0
 * is host id BASE); LXD's raw.idmap carves single ids or ranges out of it
 * and maps them to host ids of the admin's choosing, uids, gids or both:
 *
 *     both 1000 1000          host uid and gid 1000 are 1000 inside
 *     uid 2000-2009 500-509   host uids 2000-2009 are uids 500-509 inside
 *
 * The text is LXD's (`TYPE HOST[-HOST_END] CONTAINER[-CONTAINER_END]`, one
 * entry per line).  As LXD, an entry may not map host ids of the
 * container's own range (they would be mapped twice); unlike LXD, it may
 * not remap container root (0), whose host id minictr gives the
 * container's cgroup and console.  */
#ifndef MINICTR_IDMAPSET_H
#define MINICTR_IDMAPSET_H

#include "lib/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel takes 340 lines per map (Linux 4.15+); a raw.idmap longer
 * than a handful of entries is a mistake.  */
#define MC_IDMAP_MAX_EXTENTS 64

struct mc_idmap_extent
{
  uint32_t ns, host, count;
};

struct mc_idmap_list
{
  unsigned n;
  struct mc_idmap_extent e[MC_IDMAP_MAX_EXTENTS];
};

struct mc_idmap_set
{
  struct mc_idmap_list uid, gid;
};

/* SET: container ids 0.. are host ids BASE.. for SIZE ids, uids and gids
 * (BASE 0, SIZE UINT32_MAX: the identity, a privileged container's).  */
void mc_idmap_set_init (struct mc_idmap_set *set, uint32_t base, uint32_t size);

/* SET: the range BASE, SIZE with the entries of RAW (LXD's raw.idmap; NULL
 * or empty: none) carved out of it.  A malformed line, an entry that
 * overlaps another, maps host ids of the range or remaps container root
 * is an error naming it; CANON (may be NULL) gets RAW's entries in one
 * spelling (a line per uid or gid entry, ranges as LXD writes them, "" for
 * none), which two configs compare by.  */
int mc_idmap_set_build (struct mc_idmap_set *set, uint32_t base, uint32_t size, const char *raw, char **canon,
                        mc_error_t *err);

/* Container id ID's host id in L (false: unmapped), and the reverse.  */
bool mc_idmap_to_host (const struct mc_idmap_list *l, uint32_t id, uint32_t *host);
bool mc_idmap_to_ns (const struct mc_idmap_list *l, uint32_t host, uint32_t *id);

/* L as /proc/PID/uid_map wants it ("NS HOST COUNT\n" per extent), in BUF
 * of LEN bytes; the length, or 0 when it does not fit.  */
size_t mc_idmap_list_format (const struct mc_idmap_list *l, char *buf, size_t len);

/* The host id of container uid (IS_GID: gid) ID in SET, or an error naming
 * WHAT ("uid", "gid") when it is not mapped; PRIVILEGED: ID itself.  */
int mc_idmap_host_id (const struct mc_idmap_set *set, bool privileged, const char *what, bool is_gid,
                      unsigned long id, uint32_t *out, mc_error_t *err);

#endif
