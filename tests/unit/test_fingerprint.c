#include "tests/unit/unit.h"
#include "images/fingerprint.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
hash_string (const char *s, char hex[MC_FP_HEX_LEN + 1])
{
  struct mc_sha256 h;
  mc_error_t err = NULL;

  assert_int_equal (mc_sha256_init (&h, &err), 0);
  mc_sha256_update (&h, s, strlen (s));
  mc_sha256_final (&h, hex);
}

/* FIPS 180-2 test vectors.  */
static void
test_known_vectors (void **state)
{
  char hex[MC_FP_HEX_LEN + 1];

  (void) state;
  hash_string ("", hex);
  assert_string_equal (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hash_string ("abc", hex);
  assert_string_equal (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A split image's fingerprint is sha256(meta || rootfs): feeding the two
 * files into one context must equal hashing their concatenation.  */
static void
test_split_is_concatenation (void **state)
{
  char one[MC_FP_HEX_LEN + 1], two[MC_FP_HEX_LEN + 1];
  struct mc_sha256 h;
  mc_error_t err = NULL;

  (void) state;
  hash_string ("metadata-bytesrootfs-bytes", one);
  assert_int_equal (mc_sha256_init (&h, &err), 0);
  mc_sha256_update (&h, "metadata-bytes", 14);
  mc_sha256_update (&h, "rootfs", 6);
  mc_sha256_update (&h, "-bytes", 6);
  mc_sha256_final (&h, two);
  assert_string_equal (one, two);
}

static void
test_update_fd_reads_whole_file (void **state)
{
  char path[] = "/tmp/mc-unit-fp-XXXXXX";
  char a[MC_FP_HEX_LEN + 1], b[MC_FP_HEX_LEN + 1];
  size_t n = 3 * (1 << 20) + 17, i;
  char *buf = malloc (n);
  struct mc_sha256 h;
  mc_error_t err = NULL;
  int fd = mkstemp (path);

  (void) state;
  assert_true (fd >= 0);
  for (i = 0; i < n; i++)
    buf[i] = (char) (i * 7 + i / 251);
  assert_int_equal (write (fd, buf, n), (ssize_t) n);
  assert_int_equal (mc_sha256_init (&h, &err), 0);
  mc_sha256_update (&h, buf, n);
  mc_sha256_final (&h, a);
  assert_int_equal (mc_sha256_init (&h, &err), 0);
  /* The fd's offset sits at EOF: update_fd must still hash from 0.  */
  assert_int_equal (mc_sha256_update_fd (&h, fd, path, &err), 0);
  mc_sha256_final (&h, b);
  assert_string_equal (a, b);
  close (fd);
  unlink (path);
  free (buf);
}

static void
test_validity (void **state)
{
  (void) state;
  assert_true (mc_fingerprint_valid ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_false (mc_fingerprint_valid ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
  assert_false (mc_fingerprint_valid ("E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_true (mc_fingerprint_prefix_valid ("e3b0"));
  assert_false (mc_fingerprint_prefix_valid (""));
  assert_false (mc_fingerprint_prefix_valid ("e3g0"));
  assert_false (mc_fingerprint_prefix_valid ("busybox"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_known_vectors),
    cmocka_unit_test (test_split_is_concatenation),
    cmocka_unit_test (test_update_fd_reads_whole_file),
    cmocka_unit_test (test_validity),
  };
  return cmocka_run_group_tests_name ("fingerprint", tests, NULL, NULL);
}
