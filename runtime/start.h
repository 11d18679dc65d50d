/* Starting a container: fork its monitor, which builds the namespaces,
 * the overlay root and the console, execs the image's init as PID 1 and
 * then stays as the init's parent until it ends.  */
#ifndef MINICTR_START_H
#define MINICTR_START_H

#include "images/store.h"
#include "lib/error.h"

/* Start NAME (stopped; the caller holds its lock).  Returns once the
 * init has been exec'ed, or with the child's own error message.  */
int mc_container_start (struct mc_store *s, const char *name, mc_error_t *err);

#endif
