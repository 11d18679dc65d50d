/* multipart/form-data (api/multipart.c): the boundary of a Content-Type,
 * parts found by their own name (not a filename that looks like one),
 * binary data with CRLFs kept, malformed framing and missing parts
 * refused.  */
#include "tests/unit/unit.h"
#include "api/multipart.h"

#include <stdlib.h>
#include <string.h>

static const char body[] = "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"metadata\"; filename=\"rootfs\"\r\n"
                           "Content-Type: application/octet-stream\r\n\r\n"
                           "meta\r\ndata\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"rootfs\"; filename=\"r.squashfs\"\r\n\r\n"
                           "\0\r\n--Xy\r\n"
                           "--XyZ--\r\n";

static void
test_boundary (void **state)
{
  mc_error_t err = NULL;
  char *b;

  (void) state;
  b = mc_form_boundary ("multipart/form-data; boundary=abc123", &err);
  assert_string_equal (b, "abc123");
  free (b);
  b = mc_form_boundary ("multipart/form-data; boundary=\"a b\"; charset=x", &err);
  assert_string_equal (b, "a b");
  free (b);
  b = mc_form_boundary ("multipart/form-data; boundary=abc; x=y", &err);
  assert_string_equal (b, "abc");
  free (b);
  assert_null (mc_form_boundary ("multipart/form-data", &err));
  assert_string_equal (err->msg, "multipart body without a boundary");
  mc_error_release (&err);
  assert_null (mc_form_boundary ("application/json", &err));
  mc_error_release (&err);
  assert_null (mc_form_boundary (NULL, &err));
  mc_error_release (&err);
}

static void
test_parts (void **state)
{
  struct mc_form_part p;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_form_part (body, sizeof (body) - 1, "XyZ", "metadata", &p, &err), 0);
  /* The CRLF before a delimiter is the delimiter's.  */
  assert_int_equal (p.len, 10);
  assert_memory_equal (p.data, "meta\r\ndata", 10);
  assert_string_equal (p.filename, "rootfs");
  free (p.filename);
  /* name="rootfs" is the second part, not the first one's filename.  */
  assert_int_equal (mc_form_part (body, sizeof (body) - 1, "XyZ", "rootfs", &p, &err), 0);
  assert_int_equal (p.len, 7);
  assert_memory_equal (p.data, "\0\r\n--Xy", 7);
  assert_string_equal (p.filename, "r.squashfs");
  free (p.filename);
  assert_int_equal (mc_form_part (body, sizeof (body) - 1, "XyZ", "other", &p, &err), -1);
  assert_string_equal (err->msg, "the multipart body has no `other` part");
  mc_error_release (&err);
}

static void
test_malformed (void **state)
{
  static const char *const bad[] = { "", "--XyZ", "XyZ\r\n", "--XyZ\r\nno header end",
                                     "--XyZ\r\nA: b\r\n\r\ndata with no closing boundary",
                                     "--XyZ\nA: b\r\n\r\nx\r\n--XyZ--" };
  struct mc_form_part p;
  mc_error_t err = NULL;
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      assert_int_equal (mc_form_part (bad[i], strlen (bad[i]), "XyZ", "metadata", &p, &err), -1);
      assert_non_null (strstr (err->msg, "multipart"));
      mc_error_release (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_boundary),
    cmocka_unit_test (test_parts),
    cmocka_unit_test (test_malformed),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
