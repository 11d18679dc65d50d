/* An OCI config's `linux.seccomp` (runtime-spec's LinuxSeccomp: a default
 * action, architectures, flags, and rules of syscall names, an action and
 * argument comparisons) compiled with libseccomp, as runc and crun do: in
 * the creating process, before anything is made, so that a profile
 * minictr cannot carry out is refused by name; loaded by the container's
 * process (and by each `exec`), in place of minictr's own default
 * filter.  Syscall names the running libseccomp does not know are
 * skipped, as runc skips them (profiles name syscalls of newer kernels).  */
#ifndef MINICTR_OCI_SECCOMP_H
#define MINICTR_OCI_SECCOMP_H

#include "lib/error.h"

#include <jansson.h>

/* A compiled filter (libseccomp's context), not loaded yet.  */
struct mc_oci_seccomp;

/* PROFILE compiled; *OUT NULL when PROFILE is NULL.  Errors name the
 * field (`linux.seccomp.syscalls[3].action`, ...).  */
int mc_oci_seccomp_compile (json_t *profile, struct mc_oci_seccomp **out, mc_error_t *err);
/* Load it into the calling process (all its threads).  */
int mc_oci_seccomp_load (struct mc_oci_seccomp *f, mc_error_t *err);
void mc_oci_seccomp_free (struct mc_oci_seccomp *f);

/* What `features` reports: the actions, operators and architectures the
 * compiler takes (JSON lists of their spec names).  */
json_t *mc_oci_seccomp_features (void);

#endif
