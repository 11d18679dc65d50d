/* `minictr oci ...`: runc's command line over minictr's start path, for
 * the OCI tools that drive a runtime (podman, containerd).  So far: `spec`
 * (runtime/oci/bundle.h); the container commands follow (docs/oci.md).  */
#include "cli/cli.h"
#include "runtime/oci/bundle.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct cli_flag spec_flags[] = {
  { "bundle", 'b', true },
  { "rootless", 0, false },
  { NULL, 0, false },
};

static int
oci_spec (const struct cli_command *cmd, int argc, char **argv, mc_error_t *err)
{
  cleanup_args struct cli_args a = { 0 };
  cleanup_json json_t *spec = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int dirfd = -1;
  const char *dir;

  CLI_PARSE (cmd, argc, argv, &a, err);
  dir = cli_value (&a, "bundle") ? cli_value (&a, "bundle") : ".";
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return mc_make_error (err, errno, "bundle `%s`", dir);
  if (faccessat (dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return mc_make_error (err, 0, "`%s/config.json` exists: remove it first", dir);
  spec = mc_oci_spec_default (cli_has (&a, "rootless"), getuid (), getgid ());
  text = json_dumps (spec, JSON_INDENT (2));
  if (text == NULL)
    return mc_make_error (err, ENOMEM, "config.json");
  return mc_write_file_atomic_at (dirfd, "config.json", text, strlen (text), 0644, err);
}

static const struct cli_command oci_commands[] = {
  { "spec", "oci spec", NULL, "oci spec [--rootless] [--bundle DIR]",
    "Write a new config.json for an OCI bundle, as runc's `spec`\n\n"
    "`sh` on a terminal, in DIR/rootfs (read-only), with new namespaces, the usual\n"
    "mounts and masks, and three capabilities.  An existing config.json is kept.",
    "Flags:\n"
    "  -b, --bundle DIR   The bundle directory (default: the current one)\n"
    "      --rootless     For a user without root: a user namespace mapping root to\n"
    "                     you, /sys bound from the host, no cgroup settings\n",
    oci_spec, spec_flags, 0, 0, false, 0, NULL },
};

int
cli_oci (int argc, char **argv, mc_error_t *err)
{
  optind = 0;
  return cli_dispatch ("oci", "Run containers from OCI bundles, as runc does.", oci_commands,
                       sizeof (oci_commands) / sizeof (oci_commands[0]), argc, argv, err);
}
