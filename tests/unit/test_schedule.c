/* Snapshot schedules and expiries (runtime/history/schedule.c): LXD's cron
 * and alias syntax, cron's either-day rule, and calendar arithmetic.  */
#include "tests/unit/unit.h"
#include "runtime/history/schedule.h"

#include <stdlib.h>
#include <string.h>

/* 2026-03-01 (a Sunday) H:M, local time (TZ is UTC in these tests).  */
static struct tm
at (int year, int mon, int day, int hour, int min)
{
  struct tm t;
  time_t when;

  memset (&t, 0, sizeof (t));
  t.tm_year = year - 1900;
  t.tm_mon = mon - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = min;
  t.tm_isdst = -1;
  when = mktime (&t);
  localtime_r (&when, &t);
  return t;
}

static void
test_cron (void **state)
{
  struct tm sun = at (2026, 3, 1, 6, 0), mon = at (2026, 3, 2, 6, 30);

  (void) state;
  assert_int_equal (sun.tm_wday, 0);
  assert_true (mc_schedule_due ("* * * * *", &sun));
  assert_true (mc_schedule_due ("0 6 * * *", &sun));
  assert_false (mc_schedule_due ("0 6 * * *", &mon));
  assert_true (mc_schedule_due ("*/15 6 * * *", &mon));
  assert_false (mc_schedule_due ("*/20 6 * * *", &mon));
  assert_true (mc_schedule_due ("0,30 5-7 * * mon-fri", &mon));
  assert_false (mc_schedule_due ("0,30 5-7 * * mon-fri", &sun));
  /* Sunday is 0 and 7.  */
  assert_true (mc_schedule_due ("0 6 * * 7", &sun));
  assert_true (mc_schedule_due ("0 6 * * sun", &sun));
  assert_true (mc_schedule_due ("0 6 * mar *", &sun));
  assert_false (mc_schedule_due ("0 6 * apr *", &sun));
  /* Both day fields restricted: either will do (cron's rule).  */
  assert_true (mc_schedule_due ("30 6 15 * 1", &mon));
  assert_true (mc_schedule_due ("0 6 1 * 5", &sun));
  assert_false (mc_schedule_due ("0 6 15 * 5", &sun));
  /* One restricted: that one decides.  */
  assert_false (mc_schedule_due ("0 6 15 * *", &sun));
  /* February 31st never comes.  */
  assert_false (mc_schedule_due ("0 0 31 2 *", &sun));
  /* A step from a start.  */
  assert_true (mc_schedule_due ("30/15 * * * *", &mon));
  assert_false (mc_schedule_due ("5/15 * * * *", &mon));
}

static void
test_aliases (void **state)
{
  struct tm midnight = at (2026, 1, 1, 0, 0), noon = at (2026, 1, 5, 12, 0), mon0 = at (2026, 1, 5, 0, 0);

  (void) state;
  assert_true (mc_schedule_due ("@daily", &midnight));
  assert_true (mc_schedule_due ("@midnight", &midnight));
  assert_true (mc_schedule_due ("@yearly", &midnight));
  assert_true (mc_schedule_due ("@annually", &midnight));
  assert_true (mc_schedule_due ("@monthly", &midnight));
  assert_true (mc_schedule_due ("@hourly", &noon));
  assert_false (mc_schedule_due ("@daily", &noon));
  assert_false (mc_schedule_due ("@weekly", &mon0));
  assert_true (mc_schedule_due ("@weekly, @hourly", &noon));
}

static void
test_invalid (void **state)
{
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_schedule_validate ("0 6 * * *", &err), 0);
  assert_int_equal (mc_schedule_validate ("@daily,@hourly", &err), 0);
  assert_int_equal (mc_schedule_validate ("0 6 * *", &err), -1);
  assert_error_contains (err, "expected 5 fields");
  assert_int_equal (mc_schedule_validate ("0 6 * * * *", &err), -1);
  assert_error_contains (err, "expected 5 fields");
  assert_int_equal (mc_schedule_validate ("60 * * * *", &err), -1);
  assert_error_contains (err, "minute: `60` is outside 0-59");
  assert_int_equal (mc_schedule_validate ("0 6 0 * *", &err), -1);
  assert_error_contains (err, "day of month: `0` is outside 1-31");
  assert_int_equal (mc_schedule_validate ("0 6 * foo *", &err), -1);
  assert_error_contains (err, "month: `foo` is not a number or a name");
  assert_int_equal (mc_schedule_validate ("*/0 * * * *", &err), -1);
  assert_error_contains (err, "minute: bad step");
  assert_int_equal (mc_schedule_validate ("5-2 * * * *", &err), -1);
  assert_error_contains (err, "outside");
  assert_int_equal (mc_schedule_validate ("@sometimes", &err), -1);
  assert_error_contains (err, "unknown schedule `@sometimes`");
}

static void
test_expiry (void **state)
{
  struct tm t = at (2026, 1, 31, 10, 0);
  time_t base = mktime (&t), later;
  struct tm r;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (mc_expiry_validate ("1w 2d", &err), 0);
  assert_int_equal (mc_expiry_validate ("30M", &err), 0);
  assert_int_equal (mc_expiry_validate ("3x", &err), -1);
  assert_error_contains (err, "expected amounts");
  assert_int_equal (mc_expiry_validate ("", &err), -1);
  assert_error_contains (err, "empty expiry");
  assert_int_equal (mc_expiry_validate ("d", &err), -1);
  assert_error_contains (err, "expected amounts");
  assert_int_equal (mc_expiry_after ("30M", base) - base, 30 * 60);
  assert_int_equal (mc_expiry_after ("2H 30M", base) - base, 150 * 60);
  assert_int_equal (mc_expiry_after ("1w 2d", base) - base, 9 * 86400);
  /* A calendar month: January 31st plus one is March 3rd (2026). */
  later = mc_expiry_after ("1m", base);
  localtime_r (&later, &r);
  assert_int_equal (r.tm_mon, 2);
  assert_int_equal (r.tm_mday, 3);
  later = mc_expiry_after ("1y", base);
  localtime_r (&later, &r);
  assert_int_equal (r.tm_year, 2027 - 1900);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cron),
    cmocka_unit_test (test_aliases),
    cmocka_unit_test (test_invalid),
    cmocka_unit_test (test_expiry),
  };

  setenv ("TZ", "UTC", 1);
  tzset ();
  return cmocka_run_group_tests (tests, NULL, NULL);
}
