/* `minictr serve`: LXD's REST API (api/server.c).  */
#include "cli/cli.h"
#include "api/server.h"

int
cli_cmd_serve (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_api_options o = { .version = MINICTR_VERSION };

  CLI_PARSE (cmd, argc, argv, &a, err);
  o.socket_path = cli_value (&a, "socket");
  return mc_api_serve (&o, err);
}
