/* The per-container monitor (no daemon: one small process per running
 * container).  It is the parent of the container's init, holds the
 * console pty, keeps the console log, answers `console` attaches, and when
 * init ends it records that, removes the cgroup and runtime state, and
 * restarts the container if init asked for a reboot.  */
#ifndef MINICTR_MONITOR_H
#define MINICTR_MONITOR_H

#include "images/store.h"
#include "lib/error.h"

#define MC_CONSOLE_LOG_MAX (1 << 20)

/* Start NAME (stopped; the caller holds its lock).  Returns once the
 * init has been exec'ed, or with the child's own error message.  */
int mc_container_start (struct mc_store *s, const char *name, mc_error_t *err);

#endif
