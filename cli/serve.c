/* `minictr serve`: LXD's REST API (api/server.c).  */
#include "cli/cli.h"
#include "api/server.h"
#include "lib/selfexe.h"

int
cli_cmd_serve (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  struct mc_api_options o = { .version = MINICTR_VERSION };

  CLI_PARSE (cmd, argc, argv, &a, err);
  /* What the server runs (an exec, a start) may be in a privileged
   * container: from one sealed copy of the binary, which its operations
   * and the monitors they start share (lib/selfexe.h).  */
  if (mc_selfexe_ensure_sealed (err) < 0)
    return -1;
  o.socket_path = cli_value (&a, "socket");
  return mc_api_serve (&o, err);
}
