/* Starting a container.
 *
 *   CLI --fork--> (setsid) --fork--> monitor --clone(namespaces)--> init
 *
 * The intermediate exits at once so the monitor is nobody's child but
 * init's; the CLI waits on a pipe for "started" or the real error.  The
 * monitor runs in a private mount namespace of its own, so the idmapped
 * lower layer it mounts never appears on the host and disappears with it.
 * It clones the container's first process into new user (unless
 * privileged), PID, mount, UTS, IPC and network namespaces; that process
 * sets up its root and execs the image's /sbin/init as PID 1.  */
#include "runtime/start.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/idmap.h"
#include "runtime/monitor.h"
#include "runtime/paths.h"
#include "runtime/rootfs.h"
#include "runtime/security.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/syscalls.h"
#include "runtime/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* ---- the container's first process ------------------------------------- */

static int
loopback_up (mc_error_t *err)
{
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;

  if (s < 0)
    return mc_make_error (err, errno, "socket");
  memset (&ifr, 0, sizeof (ifr));
  snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return mc_make_error (err, errno, "get the flags of lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return mc_make_error (err, errno, "bring lo up");
  return 0;
}

static int
take_console (int console_fd, mc_error_t *err)
{
  int i;

  if (setsid () < 0)
    return mc_make_error (err, errno, "setsid");
  if (ioctl (console_fd, TIOCSCTTY, 0) < 0)
    return mc_make_error (err, errno, "make the console the controlling terminal");
  for (i = 0; i < 3; i++)
    if (dup2 (console_fd, i) < 0)
      return mc_make_error (err, errno, "dup2 the console");
  return 0;
}

/* Become container root: ids map to the host range given to us.  Done
 * once the overlay is attached, because until then we need to be host
 * uid 0, which owns the state directory we mount from; and before /dev
 * and friends are furnished, because files created there must be owned
 * by an id the user namespace maps.  */
static int
become_root (mc_error_t *err)
{
  if (setresgid (0, 0, 0) < 0 || setgroups (0, NULL) < 0 || setresuid (0, 0, 0) < 0)
    return mc_make_error (err, errno, "switch to the container's root");
  return 0;
}

static int
wait_for (int sock, int type, int *fd, mc_error_t *err)
{
  struct mc_sync_msg msg;
  int r = mc_sync_recv (sock, &msg, fd, err);

  if (r < 0)
    return -1;
  if (r == 0 || msg.type != type)
    return mc_make_error (err, 0, "the monitor went away during start");
  return 0;
}

static int
child_setup (struct mc_child_spec *c, int sock, mc_error_t *err)
{
  int rootfs_fd = -1, rootfd;
  size_t i;

  /* Into the container's cgroup by ourselves, first thing: cheaper than
   * being moved by PID, and done before anything else runs.  */
  if (mc_cgroup_enter_self (c->cgroup_fds, c->n_cgroup_fds, err) < 0)
    return -1;
  if (wait_for (sock, MC_SYNC_GO, NULL, err) < 0)
    return -1;
  /* In the container's cgroup: now that becomes its root.  */
  if (unshare (CLONE_NEWCGROUP) < 0)
    return mc_make_error (err, errno, "unshare the cgroup namespace");
  if (wait_for (sock, MC_SYNC_ROOTFS, &rootfs_fd, err) < 0)
    return -1;
  if (sethostname (c->name, strlen (c->name)) < 0)
    return mc_make_error (err, errno, "sethostname");
  if (loopback_up (err) < 0)
    return -1;
  rootfd = mc_rootfs_attach (c->cdir, rootfs_fd, err);
  close (rootfs_fd);
  if (rootfd < 0)
    return -1;
  if (!c->privileged && become_root (err) < 0)
    return -1;
  for (i = 0; i < c->n_templates; i++)
    if (mc_rootfs_write_file (rootfd, c->templates[i].path, c->templates[i].content,
                              c->templates[i].create_only, err) < 0)
      return mc_error_prefix (err, "image template for `%s`", c->templates[i].path);
  if (mc_rootfs_furnish (rootfd, c->console_path, err) < 0)
    return -1;
  for (i = 0; i < c->n_disks; i++)
    {
      int dfd = -1, r;

      if (wait_for (sock, MC_SYNC_DISK, &dfd, err) < 0)
        return -1;
      r = mc_rootfs_mount_disk (rootfd, c->disks[i].path, dfd, err);
      close (dfd);
      if (r < 0)
        return -1;
    }
  if (mc_rootfs_pivot (rootfd, err) < 0)
    return -1;
  close (rootfd);
  if (take_console (c->console_fd, err) < 0)
    return -1;
  if ((c->privileged && mc_mask_paths (err) < 0) || mc_caps_drop_default (err) < 0)
    return -1;
  return mc_seccomp_apply_default (err);
}

/* The monitor ignores SIGHUP, SIGINT and SIGPIPE; ignored signals
 * survive execve, and an init that cannot get SIGINT cannot be asked to
 * reboot.  */
static void
reset_signals (void)
{
  sigset_t none;
  int sig;

  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* init's environment: LXC's, then environment.* of the config (which
 * may replace one of LXC's).  */
static char **
init_env (json_t *config)
{
  static const char *const base[] = { "container=lxc",
                                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                      "TERM=linux", "HOME=/root" };
  size_t nb = sizeof (base) / sizeof (base[0]), n = 0, i;
  char **envp = xmalloc0 (sizeof (char *) * (nb + json_object_size (config) + 1));
  const char *key;
  json_t *v;

  json_object_foreach (config, key, v)
    if (mc_str_has_prefix (key, "environment.") && key[12] != '\0' && json_is_string (v))
      envp[n++] = xasprintf ("%s=%s", key + 12, json_string_value (v));
  for (i = 0; i < nb; i++)
    {
      size_t len = strcspn (base[i], "="), j;
      bool overridden = false;

      for (j = 0; j < n && !overridden; j++)
        overridden = strncmp (envp[j], base[i], len + 1) == 0;
      if (!overridden)
        envp[n++] = xstrdup (base[i]);
    }
  return envp;
}

__attribute__ ((noreturn)) static void
child_main (struct mc_child_spec *c, int sock)
{
  static char *const argv[] = { (char *) "/sbin/init", NULL };
  char **envp = init_env (c->config);
  mc_error_t err = NULL;

  reset_signals ();
  if (child_setup (c, sock, &err) < 0)
    mc_sync_die (sock, &err);
  /* Nothing of the monitor's may cross into the container; the sync
   * socket closes at execve, which tells the monitor we made it.  */
  syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  execve (argv[0], argv, envp);
  mc_make_error (&err, errno, "exec /sbin/init");
  mc_sync_die (sock, &err);
}

/* ---- the monitor's half of the start ----------------------------------- */

static int
map_ids (struct mc_child_spec *c, pid_t pid, mc_error_t *err)
{
  if (c->privileged)
    return 0;
  return mc_idmap_write (pid, c->idmap_base, c->idmap_size, err);
}

static int
send_rootfs (struct mc_child_spec *c, pid_t pid, int sock, mc_error_t *err)
{
  struct mc_rootfs_spec spec = { .image_rootfs = c->image_rootfs, .cdir = c->cdir, .userns_fd = -1,
                                 .idmap_base = c->idmap_base, .idmap_size = c->idmap_size };
  cleanup_close int userns = -1;
  cleanup_close int mfd = -1;
  char path[64];
  size_t i;

  if (!c->privileged)
    {
      snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) pid);
      userns = open (path, O_RDONLY | O_CLOEXEC);
      if (userns < 0)
        return mc_make_error (err, errno, "open `%s`", path);
      spec.userns_fd = userns;
    }
  mfd = mc_rootfs_prepare (&spec, err);
  if (mfd < 0)
    return -1;
  if (mc_sync_send (sock, MC_SYNC_ROOTFS, 0, NULL, mfd) < 0)
    return mc_make_error (err, errno, "send the root filesystem");
  for (i = 0; i < c->n_disks; i++)
    {
      cleanup_close int dfd = mc_rootfs_prepare_disk (c->disks[i].source, c->disks[i].readonly,
                                                      c->disks[i].shift, userns, err);

      if (dfd < 0)
        return -1;
      if (mc_sync_send (sock, MC_SYNC_DISK, 0, NULL, dfd) < 0)
        return mc_make_error (err, errno, "send disk `%s`", c->disks[i].path);
    }
  return 0;
}

/* EOF on the sync socket: init was exec'ed.  A message: the child's own
 * error, passed on as is.  */
static int
wait_child_exec (int sock, mc_error_t *err)
{
  struct mc_sync_msg msg;
  int r = mc_sync_recv (sock, &msg, NULL, err);

  if (r <= 0)
    return r;
  if (msg.type == MC_SYNC_ERROR)
    return mc_make_error (err, 0, "%s", msg.text);
  return mc_make_error (err, 0, "unexpected message from the container");
}

static int
clone_flags (const struct mc_child_spec *c)
{
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;

  return c->privileged ? flags : flags | CLONE_NEWUSER;
}

/* The network is ready before the child runs anything of the
 * container's: the veth pairs go into its namespace while it waits for
 * GO.  */
static int
drive_child (struct mc_child_spec *c, pid_t pid, int sock, mc_error_t *err)
{
  if (map_ids (c, pid, err) < 0)
    return -1;
  if (mc_nic_attach (c->nics, c->n_nics, pid, err) < 0)
    return -1;
  if (mc_sync_send (sock, MC_SYNC_GO, 0, NULL, -1) < 0)
    return mc_make_error (err, errno, "signal the container's first process");
  if (send_rootfs (c, pid, sock, err) < 0)
    return -1;
  return wait_child_exec (sock, err);
}

/* clone3 with CLONE_INTO_CGROUP (Linux 5.7) places the child in the
 * cgroup2 hierarchy as it is born, with no migration at all; the v1
 * hierarchies it joins by itself.  Without clone3, a raw clone with fork
 * semantics, and the child joins cgroup2 by itself too.  */
static pid_t
clone_container (struct mc_child_spec *c, int cgroup_fd, bool *into_cgroup)
{
  struct clone_args args = { .flags = (uint64_t) clone_flags (c), .exit_signal = SIGCHLD };
  pid_t pid;

  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
      pid = mc_sys_clone3 (&args, sizeof (args));
      if (pid >= 0 || (errno != ENOSYS && errno != EINVAL && errno != E2BIG))
        {
          *into_cgroup = true;
          return pid;
        }
    }
  *into_cgroup = false;
  return (pid_t) syscall (SYS_clone, (unsigned long) (clone_flags (c) | SIGCHLD), NULL, NULL, NULL, NULL);
}

static int
open_cgroup_fds (struct mc_child_spec *c, int *unified_fd, mc_error_t *err)
{
  *unified_fd = mc_cgroup_unified_dirfd (c->cgroup);
  /* With clone3 the cgroup2 part is done at birth; without it (checked
   * once clone3 failed) the child also writes cgroup.procs.  */
  return mc_cgroup_open_self_move (c->cgroup, *unified_fd >= 0, &c->cgroup_fds,
                                   &c->n_cgroup_fds, err);
}

pid_t
mc_spawn_init (struct mc_child_spec *c, mc_error_t *err)
{
  int sv[2], unified_fd = -1;
  bool into_cgroup = false;
  pid_t pid;
  int status;

  if (open_cgroup_fds (c, &unified_fd, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      mc_cgroup_close_self_move (c->cgroup_fds, c->n_cgroup_fds);
      c->cgroup_fds = NULL;
      if (unified_fd >= 0)
        close (unified_fd);
      return mc_make_error (err, errno, "socketpair");
    }
  pid = clone_container (c, unified_fd, &into_cgroup);
  if (pid == 0 && unified_fd >= 0 && !into_cgroup)
    {
      /* No clone3: join the cgroup2 hierarchy by writing "0" too.  */
      cleanup_close int procs = openat (unified_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
      if (procs < 0 || write (procs, "0", 1) != 1)
        {
          mc_error_t e = NULL;
          mc_make_error (&e, errno, "join the container's cgroup2 cgroup");
          mc_sync_die (sv[1], &e);
        }
    }
  if (unified_fd >= 0 && pid != 0)
    close (unified_fd);
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      mc_cgroup_close_self_move (c->cgroup_fds, c->n_cgroup_fds);
      c->cgroup_fds = NULL;
      return mc_make_error (err, errno, "clone the container's namespaces");
    }
  if (pid == 0)
    {
      close (sv[0]);
      child_main (c, sv[1]);
    }
  close (sv[1]);
  mc_cgroup_close_self_move (c->cgroup_fds, c->n_cgroup_fds);
  c->cgroup_fds = NULL;
  if (drive_child (c, pid, sv[0], err) < 0)
    {
      close (sv[0]);
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      return -1;
    }
  close (sv[0]);
  return pid;
}
