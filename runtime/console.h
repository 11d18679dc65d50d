/* `minictr console`: attach the caller's terminal to a container's console
 * through its monitor's socket; Ctrl+a q detaches.  */
#ifndef MINICTR_CONSOLE_H
#define MINICTR_CONSOLE_H

#include "images/store.h"
#include "lib/error.h"

int mc_console_attach (const char *name, mc_error_t *err);
/* A connection to the console of running container NAME (its monitor's
 * socket): the console's bytes both ways.  */
int mc_console_connect (const char *name, mc_error_t *err);
/* Write the bounded console log (console.log.1 then console.log) to FD.  */
int mc_console_show_log (struct mc_store *s, const char *name, int fd, mc_error_t *err);

#endif
