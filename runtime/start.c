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
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/oci/hooks.h"
#include "runtime/oci/seccomp.h"
#include "runtime/config/config.h"
#include "runtime/config/idmap.h"
#include "lib/paths.h"
#include "runtime/rootfs.h"
#include "runtime/security.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
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
child_setup (struct mc_child_spec *c, int sock, int ready_fd, mc_error_t *err)
{
  cleanup_close int rootfd = -1;
  size_t i;

  /* Into the container's cgroup by ourselves, first thing: cheaper than
   * being moved by PID, and done before anything else runs.  There,
   * that cgroup becomes the root of a cgroup namespace of our own (the
   * builder mounts cgroup2 from it).  */
  if (mc_cgroup_enter_self (c->cgroup_fds, c->n_cgroup_fds, err) < 0)
    return -1;
  /* An OCI config's namespaces joined by path (a pod's), before the
     builder, told we are ready, reads ours.  */
  for (i = 0; c->run && i < c->run->n_join; i++)
    if (setns (c->run->join_fds[i], c->run->join_flags[i]) < 0)
      return mc_make_error (err, errno, "join the config's %s namespace",
                            c->run->join_flags[i] == CLONE_NEWNET ? "network"
                            : c->run->join_flags[i] == CLONE_NEWIPC ? "ipc" : "uts");
  if (!(c->run && c->run->cgroupns_host) && unshare (CLONE_NEWCGROUP) < 0)
    return mc_make_error (err, errno, "unshare the cgroup namespace");
  /* The builder mounts cgroup2 from that namespace: tell it.  */
  if (write (ready_fd, "1", 1) != 1)
    {
      /* The builder is gone: it failed, and its error is the one that
         explains the start (the monitor prefers ours when we send one).  */
      if (errno == EPIPE)
        _exit (1);
      return mc_make_error (err, errno, "tell the tree builder we are ready");
    }
  close (ready_fd);
  if (wait_for (sock, MC_SYNC_ROOTFS, NULL, err) < 0)
    return -1;
  /* The builder made our tree in its namespace, owned by the initial
   * user namespace, and pivoted it (and us) into its root.  A copy made
   * from inside our user namespace is what locks every mount in it.  */
  if (!c->privileged && unshare (CLONE_NEWNS) < 0)
    return mc_make_error (err, errno, "unshare the mount namespace");
  if (chdir ("/") < 0 || (rootfd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open the container's root");
  if (c->run == NULL && sethostname (c->name, strlen (c->name)) < 0)
    return mc_make_error (err, errno, "sethostname");
  if (c->run && c->run->hostname && sethostname (c->run->hostname, strlen (c->run->hostname)) < 0)
    return mc_make_error (err, errno, "sethostname");
  if (loopback_up (err) < 0)
    return -1;
  if (!c->privileged && become_root (err) < 0)
    return -1;
  for (i = 0; i < c->n_templates; i++)
    if (mc_rootfs_write_file (rootfd, c->templates[i].path, c->templates[i].content,
                              c->templates[i].create_only, err) < 0)
      return mc_error_prefix (err, "image template for `%s`", c->templates[i].path);
  if (c->console_fd >= 0 && take_console (c->console_fd, err) < 0)
    return -1;
  /* An OCI process's capabilities are set as it takes its ids (oci_exec);
     the filter goes first, while the process may still load it, but with
     no_new_privs (which lets it load one as any user), last, just before
     the exec (run_process), as runc: then a profile need allow only
     that, not what taking the ids and waiting for `start` call.  */
  if (c->run)
    return !c->run->seccomp                 ? mc_seccomp_apply (c->config, err)
           : mc_oci_seccomp_last (c->run) ? 0
                                            : mc_oci_seccomp_load (c->run->seccomp, err);
  if (mc_caps_drop_default (err) < 0)
    return -1;
  return mc_seccomp_apply (c->config, err);
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

/* The container's /etc/NAME (passwd, group) as a stream: a regular file
 * of at most 1 MiB reached with no symlink (the image's own, whatever it
 * holds; a FIFO or /dev/zero would hang the start), or NULL.  */
static FILE *
etc_file (const char *name, char **text)
{
  cleanup_close int root = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *path = xasprintf ("etc/%s", name);
  mc_error_t e = NULL;
  size_t len;

  *text = NULL;
  if (root < 0 || mc_read_untrusted_at (root, path, 1 << 20, text, &len, &e) < 0)
    {
      mc_error_release (&e);
      return NULL;
    }
  return fmemopen (*text, len, "r");
}

/* An OCI image's USER inside the container ("" is root): uid[:gid] or
 * name[:group], names looked up in the container's /etc/passwd and
 * /etc/group (no NSS: the files as the image has them).  */
static int
oci_user (const char *user, uid_t *uid, gid_t *gid, mc_error_t *err)
{
  cleanup_free char *ptext = NULL, *gtext = NULL;
  cleanup_free char *u = xstrdup (user);
  char *g = strchr (u, ':'), *end;
  bool gid_known = false;
  FILE *f;

  *uid = 0;
  *gid = 0;
  if (*u == '\0')
    return 0;
  if (g)
    *g++ = '\0';
  *uid = (uid_t) strtoul (u, &end, 10);
  if (*u == '\0' || *end != '\0')
    {
      struct passwd *pw = NULL;

      if ((f = etc_file ("passwd", &ptext)) != NULL)
        {
          while ((pw = fgetpwent (f)) != NULL && strcmp (pw->pw_name, u) != 0)
            ;
          if (pw)
            *uid = pw->pw_uid, *gid = pw->pw_gid, gid_known = true;
          fclose (f);
        }
      if (pw == NULL)
        return mc_make_error (err, 0, "the image's user `%s` is not in its /etc/passwd", u);
    }
  if (g && *g)
    {
      *gid = (gid_t) strtoul (g, &end, 10);
      if (*end != '\0')
        {
          struct group *gr = NULL;

          if ((f = etc_file ("group", &gtext)) != NULL)
            {
              while ((gr = fgetgrent (f)) != NULL && strcmp (gr->gr_name, g) != 0)
                ;
              if (gr)
                *gid = gr->gr_gid;
              fclose (f);
            }
          if (gr == NULL)
            return mc_make_error (err, 0, "the image's group `%s` is not in its /etc/group", g);
        }
    }
  else if (!gid_known)
    *gid = (gid_t) *uid;
  return 0;
}

char *
mc_find_program (const char *prog, const char *path)
{
  cleanup_free char *dirs = NULL;
  char *d, *save = NULL;
  struct stat st;

  if (strchr (prog, '/'))
    return stat (prog, &st) == 0 && S_ISREG (st.st_mode) && access (prog, X_OK) == 0 ? xstrdup (prog) : NULL;
  dirs = xstrdup (path);
  for (d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *file = xasprintf ("%s/%s", d, prog);

      if (stat (file, &st) == 0 && S_ISREG (st.st_mode) && access (file, X_OK) == 0)
        return file;
      free (file);
    }
  return NULL;
}

bool
mc_oci_seccomp_last (const struct mc_oci_run *run)
{
  return run->seccomp && run->no_new_privileges;
}

int
mc_oci_oom_score_adj (const struct mc_oci_run *run, pid_t pid, mc_error_t *err)
{
  char path[64], text[16];
  cleanup_close int fd = -1;

  if (!run->has_oom_score_adj)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/oom_score_adj", (int) pid);
  snprintf (text, sizeof (text), "%d", run->oom_score_adj);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) < 0)
    return mc_make_error (err, errno, "`process.oomScoreAdj` %d", run->oom_score_adj);
  return 0;
}

int
mc_oci_take_user (const struct mc_oci_run *run, uid_t uid, gid_t gid, mc_error_t *err)
{
  if (run->umask >= 0)
    umask ((mode_t) run->umask);
  if (mc_caps_oci_bound (run->caps, err) < 0)
    return -1;
  if (setgroups (run->n_groups, run->groups) < 0)
    return mc_make_error (err, errno, "setgroups");
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid (gid, gid, gid) < 0
      || setresuid (uid, uid, uid) < 0 || prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "become the process's user %u:%u", (unsigned) uid, (unsigned) gid);
  if (mc_caps_oci_set (run->caps, err) < 0)
    return -1;
  if (run->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mc_make_error (err, errno, "no_new_privs");
  return 0;
}

int
mc_oci_console (int console_sock, unsigned short rows, unsigned short cols, mc_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  cleanup_close int slave = -1;
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  int i;

  if (master < 0 || unlockpt (master) < 0)
    return mc_make_error (err, errno, "open the container's /dev/ptmx");
  if ((slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open the pty's other end");
  if ((rows || cols) && ioctl (slave, TIOCSWINSZ, &ws) < 0)
    return mc_make_error (err, errno, "set the terminal's size");
  if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
    return mc_make_error (err, errno, "make the pty the controlling terminal");
  for (i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return mc_make_error (err, errno, "dup2 the pty");
  /* runc's message: the master's name, with the master.  */
  if (mc_send_with_fd (console_sock, "/dev/ptmx", 9, master) < 0)
    return mc_make_error (err, errno, "send the terminal to the console socket");
  return 0;
}

/* An OCI runtime container's process takes its ids and capabilities as
 * its bundle says, then tells its creator it is ready (the sync socket
 * closes) and waits for `start` (exec.fifo opened for writing) before the
 * exec.  From here errors go to its stderr, the creator being gone.  */
static void
run_process (const struct mc_oci_run *run, uid_t uid, gid_t gid, int sock)
{
  mc_error_t err = NULL;
  char fifo[64];
  int fd;

  if ((run->console_sock >= 0 && mc_oci_console (run->console_sock, run->console_rows, run->console_cols, &err) < 0)
      || mc_oci_take_user (run, uid, gid, &err) < 0)
    mc_sync_die (sock, &err);
  /* It may wait for `start` a long time, with processes of its container
     exec'd beside it (as root, with its capabilities): until its exec
     it is the host's binary, so not dumpable (no /proc/PID/fd or exe of
     it for them), and it keeps no fd of ours but the fifo's (the sync
     socket's closing tells its creator it is ready).  */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      mc_make_error (&err, errno, "prctl PR_SET_DUMPABLE");
      mc_sync_die (sock, &err);
    }
  mc_close_fds_from (3, run->start_fifo, false);
  snprintf (fifo, sizeof (fifo), "/proc/self/fd/%d", run->start_fifo);
  fd = open (fifo, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "0", 1) != 1)
    {
      fprintf (stderr, "minictr: wait for start: %s\n", strerror (errno));
      _exit (127);
    }
  close (fd);
  close (run->start_fifo);
  /* startContainer: started, before the exec, here (the path the
     container's); then, with no_new_privs, the filter.  */
  if (json_array_size (json_object_get (run->hooks, "startContainer")) > 0)
    {
      cleanup_json json_t *st = mc_oci_hook_state (run->annotations, run->id, "created", getpid (), run->bundle);

      if (mc_oci_run_hooks (run->hooks, "startContainer", st, false, &err) < 0)
        {
          fprintf (stderr, "minictr: %s\n", err->msg);
          _exit (127);
        }
    }
  if (mc_oci_seccomp_last (run) && mc_oci_seccomp_load (run->seccomp, &err) < 0)
    {
      fprintf (stderr, "minictr: %s\n", err->msg);
      _exit (127);
    }
}

/* PID 1 of an OCI image: its process (c->oci: argv, env, cwd, user), found
 * on the PATH its environment gives, in the container's root.  */
__attribute__ ((noreturn)) static void
oci_exec (struct mc_child_spec *c, int sock)
{
  json_t *jargv = json_object_get (c->oci, "argv"), *jenv = json_object_get (c->oci, "env"), *v;
  char **argv = xmalloc0 (sizeof (char *) * (json_array_size (jargv) + 1));
  char **envp = xmalloc0 (sizeof (char *) * (json_array_size (jenv) + 2));
  const char *cwd = json_string_value (json_object_get (c->oci, "cwd"));
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  mc_error_t err = NULL;
  bool has_path = false;
  size_t i, n = 0;
  int saved = ENOENT;
  uid_t uid;
  gid_t gid;

  json_array_foreach (jargv, i, v)
    argv[i] = (char *) json_string_value (v);
  json_array_foreach (jenv, i, v)
    {
      envp[n++] = (char *) json_string_value (v);
      if (mc_str_has_prefix (envp[n - 1], "PATH="))
        path = envp[n - 1] + 5, has_path = true;
    }
  /* (no PATH in the image: the usual one, as docker gives)  */
  if (!has_path)
    envp[n++] = (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  if (chdir (cwd) < 0)
    {
      mc_make_error (&err, errno, "the image's working directory `%s`", cwd);
      mc_sync_die (sock, &err);
    }
  if (oci_user (json_string_value (json_object_get (c->oci, "user")), &uid, &gid, &err) < 0)
    mc_sync_die (sock, &err);
  /* Incus's oci.uid and oci.gid, over the User.  */
  if (json_is_integer (json_object_get (c->oci, "uid")))
    uid = (uid_t) json_integer_value (json_object_get (c->oci, "uid"));
  if (json_is_integer (json_object_get (c->oci, "gid")))
    gid = (gid_t) json_integer_value (json_object_get (c->oci, "gid"));
  if (c->run)
    {
      /* runc's check: the program is found before `create` returns.  */
      cleanup_free char *found = mc_find_program (argv[0], path);

      if (found == NULL)
        {
          mc_make_error (&err, ENOENT, "`%s` (process.args[0]): no such program in the container", argv[0]);
          mc_sync_die (sock, &err);
        }
      run_process (c->run, uid, gid, sock);
      mc_close_fds_from (3, -1, true);
      execve (found, argv, envp);
      fprintf (stderr, "minictr: exec `%s`: %s\n", found, strerror (errno));
      _exit (127);
    }
  else if (uid != 0 || gid != 0)
    {
      if (setgroups (0, NULL) < 0 && errno != EPERM)
        mc_make_error (&err, errno, "setgroups");
      else if (setgid (gid) < 0 || setuid (uid) < 0)
        mc_make_error (&err, errno, "become the image's user %u:%u", (unsigned) uid, (unsigned) gid);
      if (err)
        mc_sync_die (sock, &err);
    }
  syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (strchr (argv[0], '/'))
    {
      execve (argv[0], argv, envp);
      saved = errno;
    }
  else
    {
      cleanup_free char *dirs = xstrdup (path);
      char *d, *save = NULL;

      for (d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
        {
          cleanup_free char *file = xasprintf ("%s/%s", d, argv[0]);

          execve (file, argv, envp);
          /* (a file found, but not runnable, is the error to tell)  */
          if (errno != ENOENT && errno != ENOTDIR)
            saved = errno;
        }
    }
  mc_make_error (&err, saved, "exec `%s` (the image's process)", argv[0]);
  mc_sync_die (sock, &err);
}

__attribute__ ((noreturn)) static void
child_main (struct mc_child_spec *c, int sock, int ready_fd)
{
  static char *const argv[] = { (char *) "/sbin/init", NULL };
  char **envp = init_env (c->config);
  mc_error_t err = NULL;

  reset_signals ();
  if (child_setup (c, sock, ready_fd, &err) < 0)
    mc_sync_die (sock, &err);
  if (c->oci)
    oci_exec (c, sock);
  /* Nothing of the monitor's may cross into the container; the sync
   * socket closes at execve, which tells the monitor we made it.  */
  syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  execve (argv[0], argv, envp);
  mc_make_error (&err, errno, "exec /sbin/init");
  mc_sync_die (sock, &err);
}

/* ---- the tree builder ----------------------------------------------------
 *
 * The kernel locks a mount's flags (ro, nodev, nosuid, noexec, atime)
 * and forbids unmounting it alone (which would reveal what it covers)
 * only when it reaches a mount namespace by a copy across a user
 * namespace boundary (mount_namespaces(7), "locked mounts").  A mount
 * the container's root makes, or that is moved into its namespace
 * ready-made, is its to remount and unmount.  So the whole tree is built
 * by a helper, the builder, that is host root in a mount namespace owned
 * by the initial user namespace; it pivots that namespace into the
 * container's root; and the container's first process, which lives in
 * it, unshares a copy of it from inside its own user namespace.  Every
 * mount then is locked (LXC does the same for block-backed roots).
 *
 *   monitor --fork--> builder (new mount namespace, host root)
 *   builder --clone(CLONE_PARENT, namespaces but mount)--> container init
 *
 * The builder mounts /sys from the container's network and cgroup
 * namespaces, and a short-lived child of it, born in the container's PID
 * namespace, mounts /proc and the masks (proc shows the PID namespace of
 * its mounter).  The init is the monitor's child (CLONE_PARENT), as
 * before.  */

struct builder
{
  struct mc_child_spec *c;
  pid_t init;
  int sock;    /* to the monitor */
  int ready;   /* the init writes a byte once in its cgroup namespace */
  struct mc_owner owner;
};

static int
join_ns (pid_t pid, const char *ns, int type, mc_error_t *err)
{
  char path[64];
  cleanup_close int fd = -1;

  snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) pid, ns);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  if (setns (fd, type) < 0)
    return mc_make_error (err, errno, "join the container's %s namespace", ns);
  return 0;
}

/* linux.sysctl.*: written by the builder (host root, in the container's
 * network namespace, and its IPC one when a key needs it) into the
 * container's fresh /proc, before the masks make /proc/sys read-only and
 * before anything of the container runs.  */
static int
write_sysctls (struct builder *b, int rootfd, mc_error_t *err)
{
  const char *key;
  bool in_ipc = false;
  json_t *v;

  json_object_foreach (b->c->config, key, v)
    {
      cleanup_free char *path = NULL, *rel = NULL;
      cleanup_close int fd = -1;
      const char *value = json_string_value (v);
      bool ipc;

      if (!mc_str_has_prefix (key, "linux.sysctl.") || value == NULL)
        continue;
      if (mc_config_sysctl_path (key, &path, &ipc, err) < 0)
        return -1;
      if (ipc && !in_ipc)
        {
          if (join_ns (b->init, "ipc", CLONE_NEWIPC, err) < 0)
            return -1;
          in_ipc = true;
        }
      rel = xasprintf ("proc/sys/%s", path);
      /* An IPC namespace's sysctls are writable by its root only (the
         kernel's ipc_permissions), not by host root: be it, briefly.  */
      if (ipc && setresuid (-1, b->owner.uid, -1) < 0)
        return mc_make_error (err, errno, "`%s`: become the container's root", key);
      fd = openat (rootfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0 && write (fd, value, strlen (value)) < 0)
        {
          int e = errno;

          close (fd);
          fd = -1;
          errno = e;
        }
      {
        int e = errno;

        if (ipc && setresuid (-1, 0, -1) < 0)
          _exit (1);
        errno = e;
      }
      if (fd < 0 && errno == ENOENT)
        return mc_make_error (err, 0, "`%s`: no such sysctl in the container's namespaces", key);
      if (fd < 0)
        return mc_make_error (err, errno, "`%s`: write `/%s`", key, rel);
    }
  return 0;
}

static int
open_userns (pid_t pid, mc_error_t *err)
{
  char path[64];
  int fd;

  snprintf (path, sizeof (path), "/proc/%d/ns/user", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  return fd;
}

/* In the container's PID namespace: /proc, then the masks, chrooted in
 * the tree so that they resolve as the container will see them.  */
__attribute__ ((noreturn)) static void
proc_helper (struct builder *b, int rootfd)
{
  mc_error_t err = NULL;

  if (mc_rootfs_mount_proc (rootfd, &err) < 0)
    mc_sync_die (b->sock, &err);
  if (fchdir (rootfd) < 0 || chroot (".") < 0)
    {
      mc_make_error (&err, errno, "chroot into the container's tree");
      mc_sync_die (b->sock, &err);
    }
  if (!b->c->nesting
      && (b->c->run ? mc_mask_paths_given (b->c->run->masked, b->c->run->readonly, &err)
                    : mc_mask_paths (b->c->privileged, &err))
             < 0)
    mc_sync_die (b->sock, &err);
  _exit (0);
}

/* 1: mounted, the masks are to be done after the pivot; 0: mounted and
 * masked by a helper in the PID namespace.  */
static int
mount_proc (struct builder *b, int rootfd, mc_error_t *err)
{
  pid_t pid;
  int status, r = mc_rootfs_mount_proc_of (rootfd, b->init, err);

  if (r <= 0)
    return r < 0 ? -1 : 1;
  if (join_ns (b->init, "pid", CLONE_NEWPID, err) < 0)
    return -1;
  pid = fork ();
  if (pid < 0)
    return mc_make_error (err, errno, "fork");
  if (pid == 0)
    proc_helper (b, rootfd);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return mc_make_error (err, errno, "waitpid");
  /* It reported its own error to the monitor.  */
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    _exit (1);
  return 0;
}

/* EOF: the init died; it told the monitor why.  */
static int
wait_ready (struct builder *b, mc_error_t *err)
{
  char byte;
  ssize_t n;

  while ((n = read (b->ready, &byte, 1)) < 0 && errno == EINTR)
    ;
  if (n != 1)
    return mc_make_error (err, 0, "the container's first process went away during start");
  return 0;
}

static int
prepare_disks (struct builder *b, int userns, int **fds, mc_error_t *err)
{
  size_t i;

  *fds = xmalloc0 (sizeof (int) * (b->c->n_disks + 1));
  for (i = 0; i < b->c->n_disks; i++)
    {
      struct mc_disk *d = &b->c->disks[i];

      if (d->tmpfs)
        (*fds)[i] = mc_rootfs_prepare_tmpfs (d->options, &b->owner, err);
      else if (d->nonrecursive || d->noexec)
        (*fds)[i] = mc_rootfs_prepare_bind_mount (d->source, !d->nonrecursive, d->readonly, d->noexec, err);
      else
        (*fds)[i] = mc_rootfs_prepare_disk (d->source, d->readonly, d->shift, d->device, userns, err);
      if ((*fds)[i] < 0)
        return -1;
    }
  return 0;
}

static int
build_tree (struct builder *b, mc_error_t *err)
{
  struct mc_child_spec *c = b->c;
  struct mc_rootfs_spec spec = { .image_rootfs = c->image_rootfs, .cdir = c->cdir, .userns_fd = -1,
                                 .idmap_base = c->idmap_base, .idmap_size = c->idmap_size,
                                 .raw_idmap = c->idmap.uid.n > 1 || c->idmap.gid.n > 1 };
  cleanup_close int userns = -1;
  cleanup_close int mfd = -1;
  cleanup_close int rootfd = -1;
  cleanup_free int *disk_fds = NULL;
  cleanup_close int cgroup_dirfd = -1;
  int mask_after;
  size_t i;

  /* In the host's cgroup namespace, the container's own cgroup is what
     it sees at /sys/fs/cgroup.  */
  if (c->run && c->run->cgroupns_host)
    {
      /* (none only where the host has no cgroup2 at all)  */
      cgroup_dirfd = mc_cgroup_unified_dirfd (c->cgroup);
      if (cgroup_dirfd < 0 && errno != ENOENT)
        return mc_make_error (err, errno, "open the container's cgroup2 directory");
    }
  if (!c->privileged)
    {
      if ((userns = open_userns (b->init, err)) < 0)
        return -1;
      spec.userns_fd = userns;
    }
  /* What is cloned from the host (the root, the binds) must not be a
     peer of what it was cloned from: on a systemd host every mount is
     shared, and a mount made on such a clone in the container's tree
     would show in the host's.  */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mc_make_error (err, errno, "make / private");
  /* Host paths first: the rest happens in the container's namespaces.  */
  mfd = c->run ? mc_rootfs_prepare_bind (c->run->root, false, err) : mc_rootfs_prepare (&spec, err);
  if (mfd < 0 || prepare_disks (b, userns, &disk_fds, err) < 0)
    return -1;
  if ((rootfd = mc_rootfs_attach (c->cdir, mfd, err)) < 0)
    return -1;
  if (mc_rootfs_setup_dev (rootfd, c->console_path, &b->owner, err) < 0)
    return -1;
  if (wait_ready (b, err) < 0 || join_ns (b->init, "net", CLONE_NEWNET, err) < 0
      || join_ns (b->init, "cgroup", CLONE_NEWCGROUP, err) < 0
      || mc_rootfs_mount_sys (rootfd, c->run && c->run->cgroupns_host, cgroup_dirfd, err) < 0)
    return -1;
  if ((mask_after = mount_proc (b, rootfd, err)) < 0 || write_sysctls (b, rootfd, err) < 0)
    return -1;
  if (c->run && c->run->mqueue
      && (join_ns (b->init, "ipc", CLONE_NEWIPC, err) < 0 || mc_rootfs_mount_mqueue (rootfd, &b->owner, err) < 0))
    return -1;
  if (c->run && c->run->cgroup_readonly && mc_rootfs_cgroup_readonly (rootfd, err) < 0)
    return -1;
  /* After /proc: lxcfs' files go over /proc's.  */
  for (i = 0; i < c->n_disks; i++)
    if (mc_rootfs_mount_disk (rootfd, c->disks[i].path, disk_fds[i], &b->owner, err) < 0)
      return -1;
  /* createContainer: the tree made, before pivot_root, in the
     container's namespaces (those we can join: its mount namespace is
     ours, its pid namespace our children's), the path the host's.  */
  if (c->run && json_array_size (json_object_get (c->run->hooks, "createContainer")) > 0)
    {
      cleanup_json json_t *st = mc_oci_hook_state (c->run->annotations, c->run->id, "creating", b->init,
                                                   c->run->bundle);

      if (join_ns (b->init, "pid", CLONE_NEWPID, err) < 0 || join_ns (b->init, "uts", CLONE_NEWUTS, err) < 0
          || join_ns (b->init, "ipc", CLONE_NEWIPC, err) < 0
          || mc_oci_run_hooks (c->run->hooks, "createContainer", st, false, err) < 0)
        return -1;
    }
  /* A read-only root, once its mount points are made and the
     createContainer hooks ran (as runc): the root's own mount, not
     those on it.  */
  if (c->run && c->run->root_readonly && mc_rootfs_readonly (rootfd, err) < 0)
    return -1;
  if (mc_rootfs_pivot (rootfd, err) < 0)
    return -1;
  /* Pivoted: absolute paths are the container's now.  */
  if (mask_after && !c->nesting
      && (c->run ? mc_mask_paths_given (c->run->masked, c->run->readonly, err) : mc_mask_paths (c->privileged, err))
             < 0)
    return -1;
  return 0;
}

static int
clone_flags (const struct mc_child_spec *c)
{
  int flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_PARENT;

  /* An OCI config's namespaces kept (the host's, or joined later).  */
  if (c->run)
    flags &= ~c->run->ns_kept;
  return c->privileged ? flags : flags | CLONE_NEWUSER;
}

/* clone3 with CLONE_INTO_CGROUP (Linux 5.7) places the child in the
 * cgroup2 hierarchy as it is born, with no migration at all; the v1
 * hierarchies it joins by itself.  Without clone3, a raw clone with fork
 * semantics, and the child joins cgroup2 by itself too.  With
 * CLONE_PARENT the exit signal is our own (SIGCHLD, to the monitor).  */
static pid_t
clone_container (struct mc_child_spec *c, int cgroup_fd, bool *into_cgroup)
{
  struct clone_args args = { .flags = (uint64_t) clone_flags (c) };
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
  return (pid_t) syscall (SYS_clone, (unsigned long) clone_flags (c), NULL, NULL, NULL, NULL);
}

__attribute__ ((noreturn)) static void
container_child (struct mc_child_spec *c, int unified_fd, bool into_cgroup, int sock, int ready_fd)
{
  if (unified_fd >= 0 && !into_cgroup)
    {
      /* No clone3: join the cgroup2 hierarchy by writing "0" too.  */
      cleanup_close int procs = openat (unified_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
      if (procs < 0 || write (procs, "0", 1) != 1)
        {
          mc_error_t e = NULL;
          mc_make_error (&e, errno, "join the container's cgroup2 cgroup");
          mc_sync_die (sock, &e);
        }
    }
  child_main (c, sock, ready_fd);
}

/* The builder: clone the container's init, map its ids, tell the
 * monitor its PID (which then attaches the nics, meanwhile), build the
 * tree, say so.  Errors go to the monitor as the container's do.  */
__attribute__ ((noreturn)) static void
builder_main (struct mc_child_spec *c, int unified_fd, int msock, int csock)
{
  struct builder b = { .c = c, .sock = msock,
                       .owner = { c->privileged ? 0 : c->idmap_base, c->privileged ? 0 : c->idmap_base } };
  bool into_cgroup = false;
  mc_error_t err = NULL;
  char nspath[64];
  int ready[2];

  if (pipe2 (ready, O_CLOEXEC) < 0 || unshare (CLONE_NEWNS) < 0)
    {
      mc_make_error (&err, errno, "a mount namespace for the container's tree");
      mc_sync_die (msock, &err);
    }
  if (c->run && c->run->pid_join_fd >= 0 && setns (c->run->pid_join_fd, CLONE_NEWPID) < 0)
    {
      mc_make_error (&err, errno, "join the config's pid namespace");
      mc_sync_die (msock, &err);
    }
  b.init = clone_container (c, unified_fd, &into_cgroup);
  if (b.init == 0)
    {
      close (msock);
      close (ready[0]);
      container_child (c, unified_fd, into_cgroup, csock, ready[1]);
    }
  if (b.init < 0)
    {
      mc_make_error (&err, errno, "clone the container's namespaces");
      mc_sync_die (msock, &err);
    }
  close (csock);
  close (ready[1]);
  b.ready = ready[0];
  if (unified_fd >= 0)
    close (unified_fd);
  /* (from the host's side, as runc: the process, in a user namespace,
     cannot open its own once it is the container's root)  */
  if ((!c->privileged && mc_idmap_write (b.init, &c->idmap, &err) < 0)
      || (c->run && mc_oci_oom_score_adj (c->run, b.init, &err) < 0))
    {
      kill (b.init, SIGKILL);
      mc_sync_die (msock, &err);
    }
  if (mc_sync_send (msock, MC_SYNC_PID, (int) b.init, NULL, -1) < 0)
    _exit (1);
  if (build_tree (&b, &err) < 0)
    mc_sync_die (msock, &err);
  /* With the news, the mount namespace the tree was built in: the child
   * leaves it for a copy of its own (locking its mounts), and the last
   * one out waits for an RCU grace period while its mounts go (tens of
   * ms on a loaded host).  The monitor holds it until the start is
   * reported, so that this happens after.  */
  snprintf (nspath, sizeof (nspath), "/proc/%d/ns/mnt", (int) b.init);
  if (mc_sync_send (msock, MC_SYNC_ROOTFS, 0, NULL, open (nspath, O_RDONLY | O_CLOEXEC)) < 0)
    _exit (1);
  _exit (0);
}

/* ---- the monitor's half of the start ----------------------------------- */

/* One message of TYPE from SOCK; a child's error is passed on as is.  */
static int
expect (int sock, int type, int *status, int *fd, const char *who, mc_error_t *err)
{
  struct mc_sync_msg msg;
  int got = -1, r = mc_sync_recv (sock, &msg, &got, err);

  if (r > 0 && fd && msg.type == type)
    *fd = got;
  else if (got >= 0)
    close (got);
  if (r < 0)
    return -1;
  if (r > 0 && msg.type == MC_SYNC_ERROR)
    return mc_make_error (err, 0, "%s", msg.text);
  if (r == 0 || msg.type != type)
    return mc_make_error (err, 0, "%s went away during start", who);
  if (status)
    *status = msg.status;
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

/* The child's own error, when it sent one before dying: it explains a
 * builder that saw it go.  */
static void
prefer_child_error (int csock, mc_error_t *err)
{
  struct pollfd p = { csock, POLLIN, 0 };
  struct mc_sync_msg msg;
  mc_error_t e = NULL;

  if (poll (&p, 1, 100) == 1 && mc_sync_recv (csock, &msg, NULL, &e) == 1 && msg.type == MC_SYNC_ERROR)
    {
      mc_error_release (err);
      mc_make_error (err, 0, "%s", msg.text);
    }
  mc_error_release (&e);
}

/* The network is ready before the child runs anything of the
 * container's: the builder maps its ids and builds its tree while the
 * monitor attaches its nics and calls KNOWN.  */
/* limits.kernel.*: the init's resource limits, set by the monitor (host
 * root may raise a hard limit; the container's root may not) while the
 * init still waits for its tree.  */
static int
set_rlimits (struct mc_child_spec *c, pid_t init, mc_error_t *err)
{
  const char *key;
  json_t *v;

  json_object_foreach (c->config, key, v)
    {
      struct rlimit rl;
      int res;

      if (!mc_str_has_prefix (key, "limits.kernel.") || !json_is_string (v))
        continue;
      if (mc_config_parse_rlimit (key, json_string_value (v), &res, &rl, err) < 0)
        return -1;
      if (prlimit (init, (enum __rlimit_resource) res, &rl, NULL) < 0)
        return mc_make_error (err, errno, "`%s`: set the limit to %s", key, json_string_value (v));
    }
  return 0;
}

static int
drive (struct mc_child_spec *c, mc_init_known_fn known, void *data, pid_t *init, int *tree_ns, int bsock,
       int csock, mc_error_t *err)
{
  int pid = -1;

  if (expect (bsock, MC_SYNC_PID, &pid, NULL, "the tree builder", err) < 0)
    return prefer_child_error (csock, err), -1;
  *init = (pid_t) pid;
  if (mc_nic_attach (c->nics, c->n_nics, *init, err) < 0 || set_rlimits (c, *init, err) < 0
      || known (*init, data, err) < 0)
    return -1;
  if (expect (bsock, MC_SYNC_ROOTFS, NULL, tree_ns, "the tree builder", err) < 0)
    return prefer_child_error (csock, err), -1;
  if (mc_sync_send (csock, MC_SYNC_ROOTFS, 0, NULL, -1) < 0)
    return mc_make_error (err, errno, "signal the container's first process");
  return wait_child_exec (csock, err);
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

static void
reap (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
}

pid_t
mc_spawn_init (struct mc_child_spec *c, mc_init_known_fn known, void *data, int *tree_ns, mc_error_t *err)
{
  int csv[2] = { -1, -1 }, bsv[2] = { -1, -1 }, unified_fd = -1, ns = -1;
  pid_t builder, init = -1;
  int r;

  if (open_cgroup_fds (c, &unified_fd, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, csv) < 0
      || socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bsv) < 0)
    builder = mc_make_error (err, errno, "socketpair");
  else if ((builder = fork ()) < 0)
    mc_make_error (err, errno, "fork the tree builder");
  if (builder == 0)
    {
      close (csv[0]);
      close (bsv[0]);
      builder_main (c, unified_fd, bsv[1], csv[1]);
    }
  if (unified_fd >= 0)
    close (unified_fd);
  mc_cgroup_close_self_move (c->cgroup_fds, c->n_cgroup_fds);
  c->cgroup_fds = NULL;
  if (csv[1] >= 0)
    close (csv[1]);
  if (bsv[1] >= 0)
    close (bsv[1]);
  if (builder < 0)
    {
      if (csv[0] >= 0)
        close (csv[0]);
      if (bsv[0] >= 0)
        close (bsv[0]);
      return -1;
    }
  r = drive (c, known, data, &init, &ns, bsv[0], csv[0], err);
  close (csv[0]);
  close (bsv[0]);
  if (r == 0 && tree_ns)
    *tree_ns = ns;
  else if (ns >= 0)
    close (ns);
  if (r < 0)
    {
      kill (builder, SIGKILL);
      if (init > 0)
        {
          kill (init, SIGKILL);
          reap (init);
        }
    }
  reap (builder);
  return r < 0 ? -1 : init;
}
