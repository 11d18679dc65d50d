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
