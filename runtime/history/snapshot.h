/* Snapshots, copies and renames of containers.  On disk:
 *
 *   containers/NAME/snapshots/SNAP/
 *     upper/          an exact copy of the container's layer at that time
 *     config.yaml     the container's configuration at that time
 *     snapshot.yaml   name, created_at, expires_at (snapshots.expiry)
 *
 * Everything is proportional to the container's own changes: the image
 * (the overlay's lower layer) is shared, never copied.  A snapshot of a
 * running container is taken with its cgroup frozen, so the copy is
 * consistent; it is thawed on every path.  Callers hold the container's
 * lock.  */
#ifndef MINICTR_SNAPSHOT_H
#define MINICTR_SNAPSHOT_H

#include "images/store.h"
#include "runtime/cgroup/cgroup.h"
#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

/* For a consistent copy: freeze NAME if it is running (a container the
 * user paused stays as it is); mc_thaw undoes it on every path, passing
 * RET through (or failing with the thaw's error).  */
struct mc_freeze
{
  struct mc_cgroup *cg;
  bool thaw;  /* we froze it, so we thaw it */
  char *mark; /* its run dir's snapshot-freeze, while frozen */
};
int mc_freeze_if_running (const char *name, struct mc_freeze *f, mc_error_t *err);
int mc_thaw (struct mc_freeze *f, int ret, mc_error_t *err);

int mc_snapshot_name_validate (const char *snap, mc_error_t *err);

/* SNAP NULL: LXD's next `snapN`.  *CREATED (may be NULL) gets the name
 * (malloc'ed).  The snapshot expires (expires_at) as the container's
 * snapshots.expiry says, unless NO_EXPIRY.  */
int mc_snapshot_create (struct mc_store *s, const char *name, const char *snap, bool no_expiry,
                        char **created, mc_error_t *err);

/* LXD's scheduled snapshots and expiry, for `admin snapshots` (run every
 * minute by minictr-snapshots.timer or cron): NAME's snapshots whose
 * expires_at is past NOW are deleted, and one is taken when
 * snapshots.schedule is due in NOW's minute (a stopped container only
 * with snapshots.schedule.stopped=true; once a minute however often it
 * runs, by volatile.snapshots.last_scheduled).  Callers hold NAME's lock.
 * What it did goes to *DONE: [{snapshot, action: created|expired}].  */
int mc_snapshots_tick (struct mc_store *s, const char *name, time_t now, json_t *done, mc_error_t *err);

/* [{name, created_at[, expires_at]}], oldest first.  */
json_t *mc_snapshot_list (struct mc_store *s, const char *name, mc_error_t *err);
/* The same, from container NAME's directory CDIR.  */
json_t *mc_snapshot_list_at (int cdir, const char *name, mc_error_t *err);

/* {name, created_at, config: the saved configuration}.  */
json_t *mc_snapshot_get (struct mc_store *s, const char *name, const char *snap,
                         mc_error_t *err);

int mc_snapshot_delete (struct mc_store *s, const char *name, const char *snap,
                        mc_error_t *err);
int mc_snapshot_rename (struct mc_store *s, const char *name, const char *from,
                        const char *to, mc_error_t *err);

/* Bring back the layer and the configuration of SNAP; NAME must be
 * stopped.  The layer is swapped before the configuration is saved:
 * `.restore-pending` (SNAP's name, written durably first, removed last)
 * says a restore is under way, so that one killed between the two is
 * done again by mc_snapshot_recover.  */
int mc_snapshot_restore (struct mc_store *s, const char *name, const char *snap,
                         mc_error_t *err);

/* What a snapshot, restore or copy of NAME killed on its way left: under
 * NAME's lock (so none is under way), a restore left half done is done
 * again, a container left frozen by a snapshot (its run dir's
 * `snapshot-freeze` says so; one the user paused has none) is thawed,
 * and temp dirs of snapshots and restores go.  */
int mc_snapshot_recover (struct mc_store *s, const char *name, mc_error_t *err);

struct mc_copy_request
{
  const char *src;       /* container */
  const char *snap;      /* or one of its snapshots; NULL: the container */
  const char *dst;
  bool ephemeral;
  bool instance_only;    /* do not copy the source's snapshots */
  const char *const *profiles; /* NULL: the source's */
  size_t n_profiles;
  json_t *overrides;     /* `config` keys and `profiles` (-c, --no-profiles) */
  const char *const *device_keys; /* -d DEVICE,KEY=VALUE */
  size_t n_device_keys;
};

/* A new, independent container (new volatile.uuid; stopped).  */
int mc_container_copy (struct mc_store *s, const struct mc_copy_request *req,
                       mc_error_t *err);

/* Rename a stopped container.  */
int mc_container_rename (struct mc_store *s, const char *from, const char *to,
                         mc_error_t *err);

#endif
