/* A test hook, compiled into every build: fault tests hold a process at a
 * named step, then kill it (or the server that started it) there, with
 * no timing involved.  Not a user interface.
 *
 * MINICTR_TEST_STOP_AT=STEP and MINICTR_TEST_STOP_DIR=DIR: a process that
 * reaches STEP makes the FIFO DIR/STEP.go, writes its PID to DIR/STEP
 * (atomically: the file appears whole) and waits until something is
 * written to the FIFO (`echo >DIR/STEP.go`), or until it is killed.  (Not
 * SIGSTOP: a stopped process whose parent dies gets SIGHUP.)
 * docs/ARCHITECTURE.md lists the steps.  */
#ifndef MINICTR_TESTHOOK_H
#define MINICTR_TESTHOOK_H

void mc_test_point (const char *step);

/* The step PREFIX NAME ("cgroup-opened-" "cgroup.kill"), put together
 * only when a test asks for it.  */
void mc_test_point_of (const char *prefix, const char *name);

#endif
