/* runtime/state.c: what can be told about a process from /proc.  */
#include "tests/unit/unit.h"
#include "runtime/state.h"

#include <unistd.h>

static void
test_own_userns (void **state)
{
  (void) state;
  /* Our own: the same user namespace.  */
  assert_false (mc_proc_own_userns (getpid ()));
  /* A PID that cannot exist (above pid_max's ceiling): /proc cannot tell,
   * and the answer fails closed, so that a join is attempted with
   * CLONE_NEWUSER and fails, rather than made without it.  */
  assert_true (mc_proc_own_userns (0x7ffffff0));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_own_userns),
  };
  return cmocka_run_group_tests_name ("state", tests, NULL, NULL);
}
