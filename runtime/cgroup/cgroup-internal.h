/* What the cgroup backends share: the hierarchy table, the ops table each
 * backend fills (after crun's `struct libcrun_cgroup_manager` and LXC's
 * `struct cgroup_ops`), and the file helpers in cgroup.c.
 *
 * cgroup.c does everything that is the same for both layouts: finding the
 * hierarchies, validating names, the mkdir walk with rollback, entering,
 * listing PIDs, waiting, removing.  A backend only says which hierarchies
 * it manages and how to set up a new level, freeze, kill and read stats. */
#ifndef MINICTR_CGROUP_INTERNAL_H
#define MINICTR_CGROUP_INTERNAL_H

#include "runtime/cgroup/cgroup.h"
#include "lib/utils.h"

/* One mounted hierarchy and where the cgroup lives in it.  Every access
 * goes through MOUNTFD with a path relative to it; PATH is only for
 * messages and mc_cgroup_path().  */
struct mc_cg_hier
{
  char *mountpoint;  /* "/sys/fs/cgroup/memory" */
  char *controllers; /* as /proc/self/cgroup spells them: "memory",
                        "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
  bool unified;      /* a cgroup2 hierarchy */
  int mountfd;       /* O_DIRECTORY fd on MOUNTPOINT */
  bool held_fd;      /* MOUNTFD is mc_cgroup_hold's, not to be closed */
  char *base;        /* the caller's own cgroup below MOUNTPOINT, "" at
                        the root; no leading or trailing '/' */
  size_t fixed_len;  /* leading part of REL that must already exist and
                        that we never create, write or remove */
  char *parent_rel;  /* PARENT below MOUNTPOINT */
  char *rel;         /* PARENT/NAME below MOUNTPOINT; NULL when only the
                        parent is known (mc_cgroup_remove_parent) */
  char *path;        /* MOUNTPOINT/REL, NULL with REL */
};

struct mc_cgroup_ops;

struct mc_cgroup
{
  enum mc_cgroup_layout layout;
  const struct mc_cgroup_ops *ops;
  struct mc_cg_hier *hier;
  size_t n_hier;
  /* The /proc/PID/cgroup text the paths are relative to, and PARENT.  */
  char *placement;
  char *parent;
  /* mc_cgroup_create made NAME in every hierarchy (none was reused): its
   * files hold the kernel's defaults.  */
  bool made;
};

struct mc_cgroup_ops
{
  const char *name;
  /* Whether the backend manages hierarchy H (the host may mount more). */
  bool (*wants) (const struct mc_cg_hier *h);
  /* Set up REL, a level of H; LEAF when it is NAME itself rather than a
   * PARENT level.  MADE: this process has just created it.  Otherwise it
   * was there: a parent level named as minictr's own (made by a command
   * running at the same time, which may not have set it up yet, or by one
   * killed before it did), or NAME reused.  Then only what is missing is
   * set (the same values the maker writes), never anything a level that
   * is set up already holds.  */
  int (*init_level) (struct mc_cgroup *cg, struct mc_cg_hier *h,
                     const char *rel, bool leaf, bool made, mc_error_t *err);
  /* The hierarchy whose files CONTROLLER's files are in, or NULL.  */
  struct mc_cg_hier *(*hier_for) (struct mc_cgroup *cg, const char *controller);
  /* Ask for FROZEN; cgroup.c waits for `frozen` to report it.  */
  int (*request_freeze) (struct mc_cgroup *cg, bool frozen, mc_error_t *err);
  int (*frozen) (struct mc_cgroup *cg, bool *frozen, mc_error_t *err);
  /* Send SIGKILL to everything; cgroup.c waits for the cgroup to empty. */
  int (*kill) (struct mc_cgroup *cg, mc_error_t *err);
  int (*stats) (struct mc_cgroup *cg, struct mc_cgroup_stats *st,
                mc_error_t *err);
};

extern const struct mc_cgroup_ops mc_cgroup_ops_v2;
extern const struct mc_cgroup_ops mc_cgroup_ops_v1;

/* Whether LIST, words separated by SEP, contains WORD.  */
bool mc_cg_list_has (const char *list, char sep, const char *word);

/* "a/b/c" -> "a/b"; "a" -> "" (the mount root).  Malloc'ed.  */
char *mc_cg_dirname (const char *rel);

/* Write VALUE to REL/FILE of H (O_WRONLY, never O_CREAT).  REL "" is the
 * mount root.  Errors name the absolute path; a cgroup removed between
 * the open and the write fails with ENOENT, as at the open.  The test
 * hook's step `cgroup-opened-FILE` (lib/testhook.h) is between the two. */
int mc_cg_write_at (struct mc_cg_hier *h, const char *rel, const char *file,
                    const char *value, mc_error_t *err);

/* Read REL/FILE of H whole, NUL-terminated, trailing newline dropped; a
 * cgroup removed meanwhile fails with ENOENT.  */
int mc_cg_read_at (struct mc_cg_hier *h, const char *rel, const char *file,
                   char **out, mc_error_t *err);

/* Read a file of the cgroup holding one number ("memory.current").  */
int mc_cg_read_u64 (struct mc_cg_hier *h, const char *file, uint64_t *out,
                    mc_error_t *err);

/* Read the number after KEY in a flat-keyed file ("usage_usec 42\n").  */
int mc_cg_read_key_u64 (struct mc_cg_hier *h, const char *file,
                        const char *key, uint64_t *out, mc_error_t *err);

/* The cgroup1 hierarchy (not the unified one) mounted with CONTROLLER;
 * "systemd" also finds "name=systemd".  NULL when not mounted.  */
struct mc_cg_hier *mc_cg_find_v1 (struct mc_cgroup *cg, const char *controller);

/* Like mc_cg_find_v1() but a "no such hierarchy" error when absent.  */
struct mc_cg_hier *mc_cg_need_v1 (struct mc_cgroup *cg, const char *controller,
                                  mc_error_t *err);

/* Kill by freezing: freeze, SIGKILL every PID, thaw.  For cgroup1 and for
 * cgroup2 kernels before cgroup.kill (5.14).  */
int mc_cg_kill_frozen (struct mc_cgroup *cg, mc_error_t *err);

#endif
