/* Printing for the CLI: LXD-style tables, CSV, JSON and YAML.  */
#ifndef MINICTR_CLI_OUTPUT_H
#define MINICTR_CLI_OUTPUT_H

#include "lib/error.h"

#include <jansson.h>
#include <stddef.h>

struct cli_table
{
  size_t ncols;
  const char *const *headers;
  char **cells; /* nrows * ncols, row-major, owned */
  size_t nrows;
};

void cli_table_init (struct cli_table *t, const char *const *headers, size_t ncols);
/* Append a row of NCOLS strings (copied).  */
void cli_table_add (struct cli_table *t, const char *const *row);
void cli_table_release (struct cli_table *t);

enum cli_format
{
  CLI_FORMAT_TABLE,
  CLI_FORMAT_CSV,
  CLI_FORMAT_JSON,
  CLI_FORMAT_YAML,
  CLI_FORMAT_COMPACT, /* the table without its box, as LXD's `compact` */
};

int cli_parse_format (const char *s, enum cli_format *out, mc_error_t *err);

/* Table or CSV from T; JSON or YAML from DATA.  */
int cli_print (enum cli_format fmt, struct cli_table *t, json_t *data, mc_error_t *err);
int cli_print_yaml (json_t *data, mc_error_t *err);

#endif
