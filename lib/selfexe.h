/* Running from a sealed copy of our own binary (CVE-2019-5736).
 *
 * A process of ours that runs a program in a container whose root is the
 * host's root (an OCI container without a user namespace, a privileged
 * one) is, until that execve, the host's minictr binary.  Should the
 * program be `#!/proc/self/exe`, or reach /proc/PID/exe of ours, the
 * container gets that binary: a file its root can open for writing once
 * we have exited.  runc, crun and LXC answer by running such processes
 * from a memfd copy sealed against writes; so does minictr.  */

#ifndef MC_SELFEXE_H
#define MC_SELFEXE_H

#include "lib/error.h"

#include <stddef.h>

/* The command line to run again: main's, before it shifts anything.  */
void mc_selfexe_set_argv (char **argv);

/* 1 when the running binary is such a sealed copy, 0 when not.  */
int mc_selfexe_is_sealed (mc_error_t *err);

/* Returns 0 when already running from a sealed copy; otherwise makes one
 * and execs it with the same arguments and environment (never returning
 * on success).  Call it before anything with effects: the command runs
 * again from its start.  */
int mc_selfexe_ensure_sealed (mc_error_t *err);

/* The same for a command that has read its standard input already: when
 * it runs again, its stdin is DATA (LEN bytes; a memfd in its place).  */
int mc_selfexe_ensure_sealed_stdin (const char *data, size_t len, mc_error_t *err);

#endif
