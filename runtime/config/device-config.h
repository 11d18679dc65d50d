/* The `devices:` entries of a container's or a profile's document,
 * checked before anything is saved: a disk (source, path, readonly,
 * shift) or a nic (network or bridged parent, name, hwaddr,
 * ipv4.address, mtu, the two filtering keys).  What the devices do:
 * runtime/rootfs.c (disks) and runtime/net/nic.c.  */
#ifndef MINICTR_DEVICE_CONFIG_H
#define MINICTR_DEVICE_CONFIG_H

#include "lib/error.h"

#include <jansson.h>

/* Device NAME with its keys DEV; the error names the device and what is
 * expected.  */
int mc_device_validate (const char *name, json_t *dev, mc_error_t *err);

#endif
