/* Shared includes for the cmocka unit tests.  */
#ifndef MINICTR_TESTS_UNIT_H
#define MINICTR_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first.  */
#include <cmocka.h>

#include "lib/error.h"
#include "lib/utils.h"

#include <fcntl.h>
#include <unistd.h>

/* DIRFD/PATH created (or truncated) with LEN bytes of DATA.  */
static inline void
unit_write_at (int dirfd, const char *path, const char *data, size_t len)
{
  int fd = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  assert_true (fd >= 0);
  assert_int_equal (mc_write_all (fd, data, len), 0);
  close (fd);
}

/* Assert that ERR holds an error whose message contains NEEDLE; free it. */
#define assert_error_contains(err, needle)                  \
  do                                                        \
    {                                                       \
      assert_non_null (err);                                \
      if (strstr ((err)->msg, (needle)) == NULL)            \
        fail_msg ("error `%s` lacks `%s`", (err)->msg, needle); \
      mc_error_release (&(err));                            \
    }                                                       \
  while (0)

#endif
