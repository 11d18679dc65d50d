/* minictr admin init --auto: LXD's `lxd init --auto`, idempotent.  */
#include "cli/cli.h"
#include "profiles/profiles.h"
#include "runtime/paths.h"
#include "runtime/utils.h"

#include <stdio.h>
#include <unistd.h>

static int
admin_init (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  static const struct option longopts[] = {
    { "auto", no_argument, NULL, 'a' }, CLI_HELP_OPTION, { NULL, 0, NULL, 0 }
  };
  struct mc_store store;
  int c, ret;

  while ((c = cli_getopt (cmd, argc, argv, "h", longopts, err)) != -1)
    {
      if (c == -2)
        return -1;
      if (c == 'h')
        return cli_print_help (cmd), 0;
    }
  if (cli_want_args (cmd, argc - optind, 0, 0, err) < 0 || mc_store_open (&store, err) < 0)
    return -1;
  /* The run dir is made by the first start and goes with the last stop. */
  ret = mc_profiles_install_defaults (&store, err);
  if (ret == 0)
    printf ("minictr is set up in %s\n", store.root);
  mc_store_close (&store);
  return ret;
}

static const struct cli_command admin_commands[] = {
  { "init", "admin init", NULL, "admin init [--auto]",
    "Set up the host: state directory, default profile (idempotent)\n\n"
    "Every command also sets up what it needs on first use.",
    "Flags:\n      --auto   Accept the defaults (the only mode)\n", admin_init },
};

int
cli_admin (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("admin", "Manage the host's minictr setup.", admin_commands,
                       sizeof (admin_commands) / sizeof (admin_commands[0]), argc, argv, err);
}
