/* What `list` and `info` show of a container: LXD's instance shape with
 * its `state` (status, pid, processes, cpu, memory) and minictr's
 * `layers` (image, container layer, snapshots).  */
#ifndef MINICTR_INFO_H
#define MINICTR_INFO_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

json_t *mc_container_info (struct mc_store *s, const char *name, mc_error_t *err);

/* Parts of it that cost more than reading files, for a caller that shows
 * only some (LXD's list asks for the state only when its columns need
 * it): without them, the keys they fill are left out.  */
enum
{
  MC_INFO_USAGE = 1 << 0,   /* state.processes, .cpu, .memory: the cgroup's figures */
  MC_INFO_NETWORK = 1 << 1, /* state.network: queries in the container's netns; without
                               FULL, {} there where no address is global */
  MC_INFO_NETWORK_FULL = 1 << 2,
  MC_INFO_SIZES = 1 << 3,   /* layers' sizes: a walk of each layer */
  MC_INFO_ALL = MC_INFO_USAGE | MC_INFO_NETWORK | MC_INFO_NETWORK_FULL | MC_INFO_SIZES,
};
json_t *mc_container_info_some (struct mc_store *s, const char *name, unsigned what, mc_error_t *err);

/* The host side (LXD's `lxc info` with no name): kernel, cgroup layout,
 * storage, the state dir, and the kernel features minictr uses when it
 * finds them (mount_setattr, cgroup.kill, pidfd).  */
json_t *mc_host_info (struct mc_store *s, mc_error_t *err);

/* LXD's `info --resources`: {cpu: {architecture, vendor, name, sockets,
 * cores, threads, numa_nodes}, memory: {total, used, free} (bytes; free:
 * MemAvailable), storage: {path (the state dir), total, free},
 * network_cards: [{name, address, driver, link_speed_mbps}] (interfaces
 * backed by a device)}.  */
json_t *mc_host_resources (struct mc_store *s, mc_error_t *err);

#endif
