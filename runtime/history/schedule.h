/* LXD's snapshot schedule and expiry syntaxes (snapshots.schedule,
 * snapshots.expiry), with no state behind them.
 *
 *   schedule  a cron expression, MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK
 *             (each `*`, N, N-M, a comma list of those, `/STEP` after any;
 *             months and days may be named: jan, mon; day of week 0 or 7
 *             is Sunday; when both day fields are restricted, either
 *             matching will do, as in cron), or a comma list of @hourly,
 *             @daily, @midnight, @weekly, @monthly, @yearly, @annually
 *   expiry    amounts with units, space-separated: 30M (minutes), 6H
 *             (hours), 2d, 1w, 3m (months), 1y: "1w 2d"  */
#ifndef MINICTR_SCHEDULE_H
#define MINICTR_SCHEDULE_H

#include "lib/error.h"

#include <stdbool.h>
#include <time.h>

int mc_schedule_validate (const char *spec, mc_error_t *err);
/* Whether SPEC (valid) fires in the minute of T (local time).  */
bool mc_schedule_due (const char *spec, const struct tm *t);

int mc_expiry_validate (const char *spec, mc_error_t *err);
/* FROM plus SPEC (valid), in local calendar terms (a month is a calendar
 * month).  */
time_t mc_expiry_after (const char *spec, time_t from);

#endif
