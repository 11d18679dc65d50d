/* The `devices:` entries of a container's or a profile's document,
 * checked before anything is saved: a disk (source, path, readonly,
 * shift), LXD's root disk (path /, pool, size) or a nic (network or bridged parent, name, hwaddr,
 * ipv4.address, mtu, the two filtering keys).  What the devices do:
 * runtime/rootfs.c (disks) and runtime/net/nic.c.  */
#ifndef MINICTR_DEVICE_CONFIG_H
#define MINICTR_DEVICE_CONFIG_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

/* Device NAME with its keys DEV; the error names the device and what is
 * expected.  */
int mc_device_validate (const char *name, json_t *dev, mc_error_t *err);

/* Whether DEV is LXD's root disk: type disk, path /, no source.  */
bool mc_device_is_root (json_t *dev);

/* The root disk of the expanded DEVICES in *ROOT (NULL when there is
 * none) and its name in *NAME (may be NULL); -1 when two devices claim
 * the root.  */
int mc_devices_root (json_t *devices, json_t **root, const char **name, mc_error_t *err);

#endif
