/* What `list` and `info` show of a container: LXD's instance shape with
 * its `state` (status, pid, processes, cpu, memory) and minictr's
 * `layers` (image, container layer, snapshots).  */
#ifndef MINICTR_INFO_H
#define MINICTR_INFO_H

#include "images/store.h"
#include "lib/error.h"

#include <jansson.h>

json_t *mc_container_info (struct mc_store *s, const char *name, mc_error_t *err);

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
