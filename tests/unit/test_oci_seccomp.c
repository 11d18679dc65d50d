/* OCI seccomp profiles (runtime/oci/seccomp.c): a profile of the forms
 * podman and containerd write compiles (not loaded here); every field it
 * cannot carry out is refused by name.  */
#include "tests/unit/unit.h"
#include "runtime/oci/seccomp.h"

#include <stdlib.h>
#include <string.h>

static void
compiles (const char *text)
{
  json_error_t jerr;
  json_t *profile = json_loads (text, 0, &jerr);
  struct mc_oci_seccomp *f = NULL;
  mc_error_t err = NULL;

  assert_non_null (profile);
  assert_int_equal (mc_oci_seccomp_compile (profile, &f, &err), 0);
  assert_non_null (f);
  mc_oci_seccomp_free (f);
  json_decref (profile);
}

static void
refused (const char *text, const char *want)
{
  json_error_t jerr;
  json_t *profile = json_loads (text, 0, &jerr);
  struct mc_oci_seccomp *f = NULL;
  mc_error_t err = NULL;

  assert_non_null (profile);
  assert_int_equal (mc_oci_seccomp_compile (profile, &f, &err), -1);
  assert_null (f);
  assert_error_contains (err, want);
  json_decref (profile);
}

static void
test_compile (void **state)
{
  struct mc_oci_seccomp *f = (struct mc_oci_seccomp *) 1;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_oci_seccomp_compile (NULL, &f, &err), 0);
  assert_null (f);
  /* docker's and podman's form: an errno default, an allow list with
     repeated argument indexes (one rule each), masked comparisons,
     syscalls of other arches and unknown ones.  */
  compiles ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
            " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
            " \"syscalls\": [{\"names\": [\"read\", \"write\", \"arch_prctl\", \"no_such_call\"], \"action\": \"SCMP_ACT_ALLOW\"},"
            " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
            "   {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
            " {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
            "   {\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
            " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
  compiles ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
            " \"syscalls\": [{\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
            " {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
}

static void
test_refused (void **state)
{
  (void) state;
  refused ("[]", "config.json: `linux.seccomp` is not an object");
  refused ("{}", "`linux.seccomp.defaultAction` is missing or not a string");
  refused ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"foo\": 1}", "`linux.seccomp.foo` is not supported by minictr");
  refused ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}",
           "`linux.seccomp.defaultErrnoRet` is not an errno");
  refused ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
           "`linux.seccomp.flags[0]`: `SECCOMP_FILTER_FLAG_NEW_LISTENER` is not supported by minictr");
  refused ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]}",
           "`linux.seccomp.syscalls[0].names` is missing or empty");
  refused ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\","
           " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}",
           "`linux.seccomp.syscalls[0].args[0].op`: unknown operator `SCMP_CMP_FOO`");
  refused ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\","
           " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}",
           "`linux.seccomp.syscalls[0]`: `includes` and `excludes` are not the runtime spec's");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_compile),
    cmocka_unit_test (test_refused),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
