/* stop, pause, resume, delete, and what list/info show.  Callers hold the
 * container's lock (mc_container_lock) around each of these.  */
#ifndef MINICTR_LIFECYCLE_H
#define MINICTR_LIFECYCLE_H

#include "images/store.h"
#include "lib/error.h"
#include "runtime/state.h"

#include <jansson.h>
#include <stdbool.h>

#define MC_STOP_TIMEOUT_DEFAULT 30

/* Send the init its stop signal (SIGRTMIN+3 for systemd, else SIGPWR, or
 * config `boot.stop.signal`), wait up to TIMEOUT seconds, then kill; with
 * FORCE kill at once.  Returns once the monitor has cleaned up.  */
int mc_container_stop (struct mc_store *s, const char *name, bool force, int timeout,
                       mc_error_t *err);
/* Stop the N containers of ITEMS all at once (a child process each, under
 * the container's lock), each gracefully within its TIMEOUT seconds, then
 * killed.  Errors are reported on stderr, one line each; returns how many
 * could not be stopped.  */
struct mc_stop_item
{
  const char *name;
  int timeout;
};
size_t mc_containers_stop_all (struct mc_store *s, const struct mc_stop_item *items, size_t n);
int mc_container_pause (struct mc_store *s, const char *name, mc_error_t *err);
int mc_container_resume (struct mc_store *s, const char *name, mc_error_t *err);
/* Refused while running unless FORCE (then stopped with force first). */
int mc_container_delete (struct mc_store *s, const char *name, bool force, mc_error_t *err);
/* Under its lock: -1 where mc_container_delete (force) would fail before
 * stopping NAME (unknown, protected); else, when NAME runs (and is not
 * ephemeral), SIGKILL to its init without waiting for the end, for a
 * delete of many that lets their ends overlap.  */
int mc_container_kill_for_delete (struct mc_store *s, const char *name, mc_error_t *err);

/* What `start`, `stop`, `restart`, `pause` and `resume` do to one
 * container, and LXD's PUT /1.0/instances/NAME/state (its action names:
 * start, stop, restart, freeze, unfreeze).  Start thaws a frozen
 * container, as LXD's does, and refuses a running one; FORCE and TIMEOUT
 * (seconds; < 0: the default) are stop's.  */
enum mc_state_action
{
  MC_STATE_START,
  MC_STATE_STOP,
  MC_STATE_RESTART,
  MC_STATE_FREEZE,
  MC_STATE_UNFREEZE,
};
int mc_state_action_parse (const char *name, enum mc_state_action *action);

/* `restore` and LXD's PUT {"restore": SNAP}: a running (or paused)
 * container is stopped (killed, as LXD's restore does), restored and
 * started again.  Caller holds the lock.  */
int mc_container_restore (struct mc_store *s, const char *name, const char *snap, mc_error_t *err);
int mc_container_change_state (struct mc_store *s, const char *name, enum mc_state_action action, bool force,
                               int timeout, mc_error_t *err);

#endif
