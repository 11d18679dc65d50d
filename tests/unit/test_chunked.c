/* HTTP/1.1 chunked request bodies (api/chunked.c): whole, byte by byte,
 * with extensions and trailers, and malformed framing refused.  */
#include "tests/unit/unit.h"
#include "api/chunked.h"

#include <stdlib.h>
#include <string.h>

/* Feed TEXT in pieces of STEP bytes; the decoded data into OUT.  */
static int
decode (const char *text, size_t step, char *out, size_t *out_len, bool *done)
{
  struct mc_chunked c = { 0 };
  size_t len = strlen (text), off = 0;

  *out_len = 0;
  while (off < len && !c.done)
    {
      char buf[64];
      size_t n = len - off < step ? len - off : step, got, used;

      memcpy (buf, text + off, n);
      if (mc_chunked_feed (&c, buf, n, &got, &used) < 0)
        return -1;
      memcpy (out + *out_len, buf, got);
      *out_len += got;
      off += used;
    }
  *done = c.done;
  return 0;
}

static void
test_decode (void **state)
{
  static const char body[] = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\n";
  size_t step, len;
  char out[64];
  bool done;

  (void) state;
  for (step = 1; step <= sizeof (body); step++)
    {
      assert_int_equal (decode (body, step, out, &len, &done), 0);
      assert_true (done);
      assert_int_equal (len, 12);
      assert_memory_equal (out, "hello, world", 12);
    }
  /* Upper-case hex, an empty body.  */
  assert_int_equal (decode ("A\r\n0123456789\r\n0\r\n\r\n", 3, out, &len, &done), 0);
  assert_int_equal (len, 10);
  assert_int_equal (decode ("0\r\n\r\n", 1, out, &len, &done), 0);
  assert_true (done);
  assert_int_equal (len, 0);
  /* Not all there yet: not done.  */
  assert_int_equal (decode ("5\r\nhel", 2, out, &len, &done), 0);
  assert_false (done);
  assert_int_equal (len, 3);
}

static void
test_malformed (void **state)
{
  static const char *const bad[] = { "x\r\n", "\r\n", "5\nhello\r\n", "5\r\nhelloXY", "5\r\nhello\rX",
                                     "1000000000000000\r\n", "0\r\n\rX" };
  size_t i, len;
  char out[64];
  bool done;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    assert_int_equal (decode (bad[i], 4, out, &len, &done), -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_decode),
    cmocka_unit_test (test_malformed),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
