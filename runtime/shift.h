/* The fallback when the image's filesystem cannot be idmapped (e.g. tmpfs
 * before Linux 6.3): a copy of the image rootfs with every owner shifted
 * into the container's range, made once per image and idmap and shared by
 * every container using both: images/<fp>/shifted-<base>-<size>/.  */
#ifndef MINICTR_SHIFT_H
#define MINICTR_SHIFT_H

#include "runtime/error.h"

#include <stdint.h>

/* Return (creating it under images/<fp>/.shift.lock if missing) the path
 * of the shifted copy of IMAGE_DIR/rootfs.  Built in a temp directory and
 * renamed into place: a crash leaves no half copy in use.  */
char *mc_shifted_rootfs (const char *image_dir, uint32_t base, uint32_t size,
                         mc_error_t *err);

#endif
