/* `minictr file`, the CLI's half: host files are opened here, in the
 * host's context, and travel to the agent (file-agent.c) as fds; what
 * comes back from the container is written here relative to directory
 * fds, never through a path the container could influence.  */
#include "runtime/files/file.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/files/file-internal.h"
#include "images/fingerprint.h"
#include "runtime/config/idmap-settle.h"
#include "runtime/config/idmap.h"
#include "images/manage.h"
#include "runtime/config/profiles.h"
#include "runtime/config/stacking.h"
#include "runtime/state.h"
#include "lib/syscalls.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- arguments ------------------------------------------------------------ */

int
mc_file_parse_ref (const char *arg, struct mc_file_ref *ref, mc_error_t *err)
{
  const char *slash = strchr (arg, '/');
  size_t n;

  memset (ref, 0, sizeof (*ref));
  if (slash == NULL || slash == arg)
    return mc_make_usage_error (err, "`%s`: expected NAME/PATH (a container and a path in it)", arg);
  ref->name = xstrndup (arg, (size_t) (slash - arg));
  if (mc_container_name_validate (ref->name, err) < 0)
    {
      mc_file_ref_release (ref);
      return -1;
    }
  ref->path = xstrdup (slash);
  n = strlen (ref->path);
  if (n >= PATH_MAX)
    {
      mc_file_ref_release (ref);
      return mc_make_usage_error (err, "`%.40s...`: path too long", arg);
    }
  ref->dir = n > 1 && ref->path[n - 1] == '/';
  return 0;
}

void
mc_file_ref_release (struct mc_file_ref *ref)
{
  free ((char *) ref->name);
  free (ref->path);
  ref->name = NULL;
  ref->path = NULL;
}

int
mc_file_parse_mode (const char *s, int *mode, mc_error_t *err)
{
  char *end;
  unsigned long v;

  if (*s == '\0' || strspn (s, "01234567") != strlen (s))
    return mc_make_usage_error (err, "invalid --mode `%s`: expected an octal mode (0000 to 7777)", s);
  v = strtoul (s, &end, 8);
  if (v > 07777)
    return mc_make_usage_error (err, "invalid --mode `%s`: expected an octal mode (0000 to 7777)", s);
  *mode = (int) v;
  return 0;
}

/* The last component of PATH, trailing slashes ignored; NULL when there
 * is none that could name a file ("/", "", "..").  */
static char *
base_name (const char *path)
{
  cleanup_free char *dir = NULL;
  char *base;

  file_path_split (path, &dir, &base);
  if (file_name_valid (base))
    return base;
  free (base);
  return NULL;
}

/* ---- interruption --------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

struct saved_signals
{
  struct sigaction old[3];
};

static const int caught[3] = { SIGINT, SIGTERM, SIGHUP };

/* No SA_RESTART: a blocked read returns EINTR, copies stop at the next
 * chunk, temp files are removed on the way out and the agent, seeing the
 * socket close, removes its own.  */
static void
catch_signals (struct saved_signals *s)
{
  struct sigaction sa;
  size_t i;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  interrupted = 0;
  for (i = 0; i < 3; i++)
    sigaction (caught[i], &sa, &s->old[i]);
}

static void
restore_signals (struct saved_signals *s)
{
  size_t i;

  for (i = 0; i < 3; i++)
    sigaction (caught[i], &s->old[i], NULL);
}

static bool
cli_interrupted (void *data)
{
  (void) data;
  return interrupted != 0;
}

/* ---- the agent ------------------------------------------------------------- */

struct session
{
  int lock;
  int sock;
  pid_t agent;
};

struct spec_storage
{
  char *cdir;
  char *image_rootfs;
};

static int
running_spec (const char *name, const struct mc_run_state *st, struct file_agent_spec *spec,
              mc_error_t *err)
{
  spec->running = true;
  spec->init_pidfd = mc_sys_pidfd_open (st->pid, 0);
  if (spec->init_pidfd < 0 || !mc_proc_alive (st->pid, st->pid_start))
    return mc_make_error (err, 0, "container `%s` stopped while being entered", name);
  spec->ns_flags = CLONE_NEWNS | (mc_proc_own_userns (st->pid) ? CLONE_NEWUSER : 0);
  return 0;
}

static int
stopped_spec (struct mc_store *s, const char *name, json_t *cfg, struct file_agent_spec *spec,
              struct spec_storage *keep, mc_error_t *err)
{
  const char *fp = mc_config_get (cfg, "volatile.base_image", NULL);

  if (fp == NULL)
    return mc_make_error (err, 0, "container `%s` has no base image", name);
  if (mc_image_check_usable (s, fp, err) < 0)
    return -1;
  keep->cdir = xasprintf ("%s/containers/%s", s->root, name);
  if ((keep->image_rootfs = mc_image_lowerdir (s, fp, err)) == NULL)
    return -1;
  spec->cdir = keep->cdir;
  spec->image_rootfs = keep->image_rootfs;
  mc_idmap_of_config (cfg, &spec->idmap_base, &spec->idmap_size);
  return mc_idmap_set_of_config (cfg, &spec->idmap, err);
}

static int
fill_spec (struct mc_store *s, const char *name, struct file_agent_spec *spec,
           struct spec_storage *keep, mc_error_t *err)
{
  struct mc_run_state st;
  enum mc_status status;
  json_t *cfg = mc_container_config_load (s, name, err), *exp = NULL;
  int ret;

  if (cfg == NULL)
    return -1;
  spec->name = name;
  spec->init_pidfd = -1;
  ret = mc_container_status (name, &st, &status, err);
  if (ret == 0 && status != MC_STATUS_STOPPED)
    {
      /* What it runs with, whatever the config says now.  */
      ret = running_spec (name, &st, spec, err);
      spec->privileged = !(spec->ns_flags & CLONE_NEWUSER);
    }
  else if (ret == 0)
    {
      /* As the next start will see it: profiles stacked, and the layer in
       * the ids the map says (a change of map is settled now).  */
      exp = mc_config_expand (s, cfg, err);
      ret = exp == NULL ? -1 : mc_container_settle_idmap (s, name, cfg, exp, err);
      if (ret == 0)
        {
          spec->privileged = mc_config_get_bool (exp, "security.privileged", false);
          ret = stopped_spec (s, name, cfg, spec, keep, err);
        }
    }
  json_decref (exp);
  json_decref (cfg);
  return ret;
}

static void
session_close (struct session *ss)
{
  int status;

  if (ss->sock >= 0)
    close (ss->sock);
  /* The agent sees EOF and exits; a copy it was doing stops at the next
   * chunk and its temp file goes.  Its mounts die with it.  */
  if (ss->agent > 0)
    while (waitpid (ss->agent, &status, 0) < 0 && errno == EINTR)
      ;
  if (ss->lock >= 0)
    close (ss->lock);
  ss->sock = ss->lock = -1;
  ss->agent = 0;
}

static int
session_start (struct session *ss, const struct file_agent_spec *spec, mc_error_t *err)
{
  struct fmsg hello;
  int sv[2], r;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return mc_make_error (err, errno, "socketpair");
  fflush (stdout);
  fflush (stderr);
  ss->agent = fork ();
  if (ss->agent == 0)
    {
      close (sv[0]);
      file_agent_main (spec, sv[1]);
    }
  close (sv[1]);
  ss->sock = sv[0];
  if (ss->agent < 0)
    return mc_make_error (err, errno, "fork");
  r = fmsg_recv (ss->sock, &hello, NULL, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return mc_make_error (err, 0, "the file agent for `%s` died", spec->name);
  if (hello.op == FOP_ERROR)
    return mc_make_error (err, 0, "%s", hello.text);
  return 0;
}

/* Lock the container (a `start` cannot race with us), work out how to
 * enter it, fork the agent and wait for it to be in.  NOWAIT: a
 * container whose lock is held fails at once (EWOULDBLOCK).  */
static int
session_open (struct mc_store *s, const char *name, struct session *ss, bool nowait, mc_error_t *err)
{
  struct file_agent_spec spec;
  struct spec_storage keep = { NULL, NULL };
  int ret;

  memset (&spec, 0, sizeof (spec));
  ss->sock = -1;
  ss->agent = 0;
  if (nowait)
    {
      cleanup_close int dfd = mc_container_open_dir (s, name, err);

      ss->lock = dfd < 0 ? -1 : mc_lock_at (dfd, ".lock", true, true, err);
    }
  else
    ss->lock = mc_container_lock (s, name, err);
  if (ss->lock < 0)
    return -1;
  ret = fill_spec (s, name, &spec, &keep, err);
  if (ret == 0)
    ret = session_start (ss, &spec, err);
  if (spec.init_pidfd >= 0)
    close (spec.init_pidfd);
  free (keep.cdir);
  free (keep.image_rootfs);
  if (ret < 0)
    session_close (ss);
  return ret;
}

static int
call (struct session *ss, const struct fmsg *m, int fd, struct fmsg *reply, mc_error_t *err)
{
  return fmsg_call (ss->sock, m, fd, reply, NULL, err);
}

/* ---- push -------------------------------------------------------------------- */

struct push_src
{
  const char *label;
  int fd;
  struct stat st;
  char *name;
};

static int
open_source (const char *src, bool recursive, struct push_src *p, mc_error_t *err)
{
  p->label = strcmp (src, "-") == 0 ? "standard input" : src;
  if (strcmp (src, "-") == 0)
    {
      /* A stream has no mode of its own: new files get LXD's 0644.  */
      p->fd = STDIN_FILENO;
      memset (&p->st, 0, sizeof (p->st));
      p->st.st_mode = S_IFREG | 0644;
      return 0;
    }
  p->fd = open (src, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (p->fd < 0 || fstat (p->fd, &p->st) < 0)
    return mc_make_error (err, errno, "open `%s`", src);
  if (S_ISDIR (p->st.st_mode) && !recursive)
    return mc_make_error (err, 0, "`%s` is a directory (use -r)", src);
  if (!S_ISDIR (p->st.st_mode) && !S_ISREG (p->st.st_mode))
    return mc_make_error (err, 0, "`%s` is not a regular file or directory", src);
  p->name = base_name (src);
  if (p->name == NULL)
    {
      cleanup_free char *real = realpath (src, NULL);
      p->name = real ? base_name (real) : NULL;
    }
  return 0;
}

static void
close_sources (struct push_src *v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      if (v[i].fd > STDIN_FILENO)
        close (v[i].fd);
      free (v[i].name);
    }
  free (v);
}

static int
push_one (struct session *ss, const struct push_src *p, const struct mc_file_ref *dst,
          uint32_t flags, const struct mc_file_opts *o, mc_error_t *err)
{
  uint32_t uid = o->uid == MC_FILE_ID_UNSET ? 0 : o->uid;
  uint32_t gid = o->gid == MC_FILE_ID_UNSET ? 0 : o->gid;
  struct tree_tx tx = { .sock = ss->sock, .recursive = o->recursive,
                        .mode_override = o->mode, .uid = uid, .gid = gid,
                        .warn = o->warn, .warn_data = o->warn_data };
  struct fmsg m = { .op = FOP_TARGET, .flags = flags, .uid = uid, .gid = gid };

  if (fmsg_set (m.path, dst->path, err) < 0)
    return -1;
  snprintf (m.text, sizeof (m.text), "%s", p->name ? p->name : "");
  if (call (ss, &m, -1, NULL, err) < 0)
    return -1;
  snprintf (tx.label, sizeof (tx.label), "%s", p->label);
  return tree_send (&tx, p->fd, &p->st, err);
}

int
mc_file_push (struct mc_store *s, const char *const *srcs, size_t n,
              const struct mc_file_ref *dst, const struct mc_file_opts *o, mc_error_t *err)
{
  struct push_src *v = xmalloc0 (sizeof (*v) * n);
  uint32_t flags = (n > 1 ? FF_MULTI : 0) | (dst->dir ? FF_DIR : 0) | (o->parents ? FF_PARENTS : 0);
  struct session ss = { -1, -1, 0 };
  struct saved_signals sig;
  size_t i, opened = 0, stdin_uses = 0;
  int ret = -1;

  for (i = 0; i < n; i++)
    stdin_uses += strcmp (srcs[i], "-") == 0;
  if (stdin_uses > 1)
    {
      free (v);
      return mc_make_usage_error (err, "file push: `-` (standard input) can be given only once");
    }
  /* Every source first: a missing one stops the push before anything
   * is written.  */
  for (i = 0; i < n; i++)
    {
      opened = i + 1;
      if (open_source (srcs[i], o->recursive, &v[i], err) < 0)
        goto out;
    }
  catch_signals (&sig);
  if (session_open (s, dst->name, &ss, o->nowait, err) == 0)
    {
      for (i = 0; i < n; i++)
        if (push_one (&ss, &v[i], dst, flags, o, err) < 0)
          break;
      ret = i == n ? 0 : -1;
    }
  session_close (&ss);
  restore_signals (&sig);
out:
  close_sources (v, opened);
  return ret;
}

/* ---- pull -------------------------------------------------------------------- */

static int
reply_error_keep (int sock, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_ERROR };

  snprintf (m.text, sizeof (m.text), "%s", *err ? (*err)->msg : "error");
  return fmsg_send (sock, &m, -1);
}

/* Receive the tree the agent sends for one PULL into RX.  */
static int
receive_tree (struct session *ss, struct tree_rx *rx, const struct mc_file_opts *o,
              mc_error_t *err)
{
  for (;;)
    {
      struct fmsg m;
      cleanup_close int fd = -1;
      int r = fmsg_recv (ss->sock, &m, &fd, err);

      if (r <= 0)
        return r < 0 ? -1 : mc_make_error (err, 0, "the file agent went away");
      switch (m.op)
        {
        case FOP_DONE:
          return 0;
        case FOP_ERROR:
          if (*err == NULL && mc_make_error (err, 0, "%s", m.text) < 0)
            (*err)->status = m.status;
          return -1;
        case FOP_SKIP:
          file_warn_skipped (o->warn, o->warn_data, m.path);
          break;
        case FOP_FILE:
        case FOP_DIR:
        case FOP_SYMLINK:
        case FOP_END:
          if (tree_rx_entry (rx, &m, fd, err) < 0)
            return reply_error_keep (ss->sock, err), -1;
          break;
        default:
          return mc_make_error (err, 0, "unexpected message from the file agent");
        }
      if (fmsg_reply_ok (ss->sock) < 0)
        return mc_make_error (err, errno, "answer the file agent");
    }
}

static int
pull_one (struct session *ss, const struct mc_file_ref *ref, const char *dest, uint32_t flags,
          const struct mc_file_opts *o, mc_error_t *err)
{
  cleanup_free char *src_name = base_name (ref->path);
  cleanup_free char *label = NULL;
  cleanup_close int dirfd = -1;
  size_t len = strlen (dest);
  struct fmsg m = { .op = FOP_PULL, .flags = o->recursive ? FF_RECURSIVE : 0 };
  char name[NAME_MAX + 1] = "";
  struct tree_rx rx;
  bool into = false;
  int ret;

  if (strcmp (dest, "-") != 0
      && file_resolve_target (AT_FDCWD, dest, src_name, flags, false, 0, 0, dest, &dirfd, name,
                              &into, err) < 0)
    return -1;
  label = into ? xasprintf ("%s%s%s", dest, len && dest[len - 1] == '/' ? "" : "/", name)
               : xstrdup (strcmp (dest, "-") == 0 ? "standard output" : dest);
  tree_rx_init (&rx, dirfd, name, label);
  rx.out_fd = strcmp (dest, "-") == 0 ? STDOUT_FILENO : -1;
  rx.host = true;
  rx.cancelled = cli_interrupted;
  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  if (fmsg_send (ss->sock, &m, -1) < 0)
    return mc_make_error (err, errno, "ask the file agent");
  ret = receive_tree (ss, &rx, o, err);
  tree_rx_release (&rx);
  return ret;
}

/* Every source is looked at before anything is written: a missing one,
 * or a directory without -r, leaves nothing behind.  */
static int
check_pull_source (struct session *ss, const struct mc_file_ref *ref, bool to_stdout,
                   const struct mc_file_opts *o, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_STAT }, r;

  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  if (call (ss, &m, -1, &r, err) < 0)
    return -1;
  if (S_ISDIR (r.mode) && to_stdout)
    return mc_make_error (err, 0, "`%s%s` is a directory: it cannot go to standard output",
                          ref->name, ref->path);
  if (S_ISDIR (r.mode) && !o->recursive)
    return mc_make_error (err, 0, "`%s%s` is a directory (use -r)", ref->name, ref->path);
  return 0;
}

static int
pull_from (struct mc_store *s, const struct mc_file_ref *srcs, size_t n, size_t first,
           const char *dest, uint32_t flags, const struct mc_file_opts *o, mc_error_t *err)
{
  const char *name = srcs[first].name;
  struct session ss;
  size_t i;
  int ret = 0;

  if (session_open (s, name, &ss, false, err) < 0)
    return -1;
  for (i = first; ret == 0 && i < n; i++)
    if (strcmp (srcs[i].name, name) == 0)
      ret = check_pull_source (&ss, &srcs[i], strcmp (dest, "-") == 0, o, err);
  for (i = first; ret == 0 && i < n; i++)
    if (strcmp (srcs[i].name, name) == 0)
      ret = pull_one (&ss, &srcs[i], dest, flags, o, err);
  session_close (&ss);
  return ret;
}

int
mc_file_pull (struct mc_store *s, const struct mc_file_ref *srcs, size_t n, const char *dest,
              const struct mc_file_opts *o, mc_error_t *err)
{
  size_t len = strlen (dest);
  uint32_t flags = (n > 1 ? FF_MULTI : 0) | (len > 1 && dest[len - 1] == '/' ? FF_DIR : 0)
                   | (o->parents ? FF_PARENTS : 0);
  struct saved_signals sig;
  size_t i, j;
  int ret = 0;

  /* Every container first, so that a typo fails before any copy.  */
  for (i = 0; i < n; i++)
    if (!mc_container_exists (s, srcs[i].name))
      return mc_make_error (err, 0, "container `%s` not found", srcs[i].name);
  catch_signals (&sig);
  /* One agent per container, in the order the containers are named.  */
  for (i = 0; ret == 0 && i < n; i++)
    {
      for (j = 0; j < i && strcmp (srcs[j].name, srcs[i].name) != 0; j++)
        ;
      if (j == i)
        ret = pull_from (s, srcs, n, i, dest, flags, o, err);
    }
  restore_signals (&sig);
  return ret;
}

/* ---- open (the API's GET) ----------------------------------------------------------- */

int
mc_file_open (struct mc_store *s, const struct mc_file_ref *ref, struct mc_file_info *info, int *fd,
              char **target, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_OPEN }, r;
  struct session ss;
  int got = -1, ret;

  *fd = -1;
  *target = NULL;
  if (!mc_container_exists (s, ref->name))
    return mc_make_error (err, 0, "container `%s` not found", ref->name);
  if (fmsg_set (m.path, ref->path, err) < 0 || session_open (s, ref->name, &ss, false, err) < 0)
    return -1;
  ret = fmsg_send (ss.sock, &m, -1) < 0 ? mc_make_error (err, errno, "ask the file agent") : 0;
  if (ret == 0 && (ret = fmsg_recv (ss.sock, &r, &got, err)) == 0)
    ret = mc_make_error (err, 0, "the file agent went away");
  if (ret > 0 && r.op == FOP_ERROR)
    {
      ret = mc_make_error (err, 0, "%s", r.text);
      (*err)->status = r.status;
    }
  else if (ret > 0)
    {
      info->type = S_ISDIR (r.mode) ? MC_FILE_TYPE_DIRECTORY : S_ISLNK (r.mode) ? MC_FILE_TYPE_SYMLINK
                                                                                : MC_FILE_TYPE_FILE;
      info->uid = r.uid;
      info->gid = r.gid;
      info->mode = (int) (r.mode & 07777);
      info->size = r.size;
      if (info->type == MC_FILE_TYPE_SYMLINK)
        *target = xstrdup (r.text);
      else if (got < 0)
        ret = mc_make_error (err, 0, "the file agent sent no file");
      else
        *fd = got, got = -1;
      ret = ret < 0 ? -1 : 0;
    }
  if (got >= 0)
    close (got);
  session_close (&ss);
  return ret < 0 ? -1 : 0;
}

/* ---- delete, create ------------------------------------------------------------ */

static int
one_request (struct mc_store *s, const char *name, const struct fmsg *m, mc_error_t *err)
{
  struct session ss;
  int ret;

  if (session_open (s, name, &ss, false, err) < 0)
    return -1;
  ret = call (&ss, m, -1, NULL, err);
  session_close (&ss);
  return ret;
}

int
mc_file_delete (struct mc_store *s, const struct mc_file_ref *ref, const struct mc_file_opts *o,
                mc_error_t *err)
{
  struct fmsg m = { .op = FOP_DELETE, .flags = o->force ? FF_FORCE : 0 };

  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  return one_request (s, ref->name, &m, err);
}

int
mc_file_create (struct mc_store *s, const struct mc_file_ref *ref, enum mc_file_type type,
                const char *link_target, const struct mc_file_opts *o, mc_error_t *err)
{
  static const mode_t types[] = { S_IFREG, S_IFDIR, S_IFLNK };
  static const int dflt[] = { 0644, 0755, 0777 };
  struct fmsg m = { .op = FOP_CREATE };

  m.flags = (o->force ? FF_FORCE : 0) | (o->parents ? FF_PARENTS : 0);
  m.mode = (uint32_t) (types[type] | (mode_t) (o->mode >= 0 ? o->mode : dflt[type]));
  m.uid = o->uid == MC_FILE_ID_UNSET ? 0 : o->uid;
  m.gid = o->gid == MC_FILE_ID_UNSET ? 0 : o->gid;
  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  if (link_target && fmsg_set (m.text, link_target, err) < 0)
    return -1;
  return one_request (s, ref->name, &m, err);
}

/* ---- edit ------------------------------------------------------------------------ */

static int
hash_file (const char *path, char hex[MC_FP_HEX_LEN + 1], mc_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", path);
  return mc_sha256_fd (fd, path, hex, err);
}

static int
run_editor (const char *file, const char *what, mc_error_t *err)
{
  const char *ed;
  int status;

  if (mc_editor_run (file, &ed, &status, err) < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return mc_make_error (err, 0, "the editor `%s` failed (%s %d); `%s` is unchanged", ed,
                          WIFEXITED (status) ? "exit status" : "signal",
                          WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status), what);
  return 0;
}

/* A private temp file named after the file being edited (editors pick
 * their syntax from it): mkstemps, 0600, in $TMPDIR.  */
static int
edit_temp (const char *path, char **tmp, mc_error_t *err)
{
  cleanup_free char *base = base_name (path);
  const char *dir = getenv ("TMPDIR");
  size_t i;
  int fd;

  if (dir == NULL || *dir == '\0')
    dir = "/tmp";
  for (i = 0; base && base[i]; i++)
    if (!(base[i] == '.' || base[i] == '_' || base[i] == '-' || (base[i] >= '0' && base[i] <= '9')
          || ((base[i] | 0x20) >= 'a' && (base[i] | 0x20) <= 'z')))
      base[i] = '_';
  if (base && strlen (base) > 64)
    base[64] = '\0';
  *tmp = xasprintf ("%s/minictr-edit-XXXXXX-%s", dir, base ? base : "file");
  fd = mkstemps (*tmp, (int) strlen (base ? base : "file") + 1);
  if (fd < 0)
    {
      int e = errno;
      free (steal_pointer (tmp));
      return mc_make_error (err, e, "create a temp file in `%s`", dir);
    }
  return fd;
}

static int
edit_pull (struct mc_store *s, const struct mc_file_ref *ref, int out, struct fmsg *st,
           mc_error_t *err)
{
  struct mc_file_opts o = { .mode = -1 };
  struct fmsg m = { .op = FOP_STAT, .flags = FF_NOFOLLOW };
  struct session ss;
  struct tree_rx rx;
  int ret;

  if (session_open (s, ref->name, &ss, false, err) < 0)
    return -1;
  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  ret = call (&ss, &m, -1, st, err);
  if (ret == 0 && S_ISLNK (st->mode))
    ret = mc_make_error (err, 0, "`%s%s` is a symlink to `%s`: edit its target", ref->name,
                         ref->path, st->text);
  else if (ret == 0 && !S_ISREG (st->mode))
    ret = mc_make_error (err, 0, "`%s%s` is not a regular file", ref->name, ref->path);
  if (ret == 0)
    {
      tree_rx_init (&rx, -1, "", ref->path);
      rx.out_fd = out;
      rx.host = true;
      rx.cancelled = cli_interrupted;
      m.op = FOP_PULL;
      m.flags = 0;
      ret = fmsg_send (ss.sock, &m, -1) < 0 ? mc_make_error (err, errno, "ask the file agent")
                                             : receive_tree (&ss, &rx, &o, err);
    }
  session_close (&ss);
  return ret;
}

static int
edit_push (struct mc_store *s, const struct mc_file_ref *ref, const char *tmp,
           const struct fmsg *st, mc_error_t *err)
{
  struct fmsg m = { .op = FOP_TARGET, .flags = FF_EXACT };
  cleanup_close int fd = open (tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct session ss;
  int ret;

  if (fd < 0)
    return mc_make_error (err, errno, "open `%s`", tmp);
  if (session_open (s, ref->name, &ss, false, err) < 0)
    return -1;
  snprintf (m.path, sizeof (m.path), "%s", ref->path);
  ret = call (&ss, &m, -1, NULL, err);
  if (ret == 0)
    {
      memset (&m, 0, sizeof (m));
      m.op = FOP_FILE;
      m.mode = st->mode & 07777;
      m.uid = st->uid;
      m.gid = st->gid;
      ret = call (&ss, &m, fd, NULL, err);
    }
  session_close (&ss);
  return ret;
}

int
mc_file_edit_with (const struct mc_file_ref *ref, const struct mc_file_edit_io *io, mc_error_t *err)
{
  char before[MC_FP_HEX_LEN + 1], after[MC_FP_HEX_LEN + 1];
  cleanup_free char *what = xasprintf ("%s%s", ref->name, ref->path);
  cleanup_free char *tmp = NULL;
  struct saved_signals sig;
  int fd, ret;

  fd = edit_temp (ref->path, &tmp, err);
  if (fd < 0)
    return -1;
  catch_signals (&sig);
  ret = io->pull (io->data, ref, fd, err);
  close (fd);
  /* The container is not locked while the editor runs.  */
  if (ret == 0)
    ret = hash_file (tmp, before, err);
  if (ret == 0)
    ret = run_editor (tmp, what, err);
  if (ret == 0 && interrupted)
    ret = mc_make_error (err, 0, "interrupted");
  if (ret == 0)
    ret = hash_file (tmp, after, err);
  if (ret == 0 && strcmp (before, after) != 0)
    ret = io->push (io->data, ref, tmp, err);
  unlink (tmp);
  restore_signals (&sig);
  return ret;
}

struct local_edit
{
  struct mc_store *s;
  struct fmsg st;
};

static int
local_edit_pull (void *data, const struct mc_file_ref *ref, int fd, mc_error_t *err)
{
  struct local_edit *e = data;

  return edit_pull (e->s, ref, fd, &e->st, err);
}

static int
local_edit_push (void *data, const struct mc_file_ref *ref, const char *tmp, mc_error_t *err)
{
  struct local_edit *e = data;

  return edit_push (e->s, ref, tmp, &e->st, err);
}

int
mc_file_edit (struct mc_store *s, const struct mc_file_ref *ref, mc_error_t *err)
{
  struct local_edit e = { .s = s };
  struct mc_file_edit_io io = { local_edit_pull, local_edit_push, &e };

  return mc_file_edit_with (ref, &io, err);
}
