/* publish: an image from a container (or one of its snapshots), as LXD's
 * `lxc publish`.  The merged tree is read through a read-only overlay
 * whose lower layers are the container's layer over the image's rootfs,
 * mounted in the private mount namespace of a child that writes a
 * unified LXD tarball (metadata.yaml, templates/, rootfs/) into an
 * unnamed temp file; the image store then imports that file like any
 * other, so the new image has its own sha256 fingerprint.  */
#include "runtime/history/publish.h"
#include "images/archive.h"
#include "runtime/config/config.h"
#include "runtime/container.h"
#include "runtime/config/idmap.h"
#include "images/import.h"
#include "images/manage.h"
#include "runtime/history/snapshot.h"
#include "runtime/state.h"
#include "lib/syscalls.h"
#include "images/tarwrite.h"
#include "lib/testhook.h"
#include "lib/utils.h"
#include "lib/yamltree.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct pub
{
  const char *upper;       /* the layer: containers/NAME[/snapshots/SNAP]/upper */
  const char *image_dir;   /* images/<fp> */
  const char *image_lowers; /* its rootfs, or an OCI image's layers (mc_image_lowerdir) */
  bool privileged;
  struct mc_idmap_set ids; /* the container's map: its host ids written back as its own */
  json_t *metadata;
};

static json_t *
build_metadata (struct mc_store *s, const struct mc_publish_request *req, json_t *cfg, const char *image_dir,
                mc_error_t *err)
{
  cleanup_close int idir = open (image_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  json_t *src = NULL, *meta, *props;
  size_t len, i;

  (void) s;
  if (idir < 0)
    return mc_make_error (err, errno, "open `%s`", image_dir), NULL;
  /* An OCI image has no metadata.yaml: its record's properties instead.  */
  if (faccessat (idir, "metadata.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT
      && faccessat (idir, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    {
      const char *slash = strrchr (image_dir, '/');
      json_t *rec = mc_image_record_load (s, slash ? slash + 1 : image_dir, err);

      if (rec == NULL)
        return NULL;
      src = json_pack ("{s:O, s:O}", "architecture", json_object_get (rec, "architecture"), "properties",
                       json_object_get (rec, "properties"));
      json_decref (rec);
    }
  else if (mc_read_file_at (idir, "metadata.yaml", 1 << 20, &buf, &len, err) < 0
           || (src = mc_yaml_load (buf, len, "metadata.yaml", err)) == NULL)
    return NULL;
  props = json_is_object (json_object_get (src, "properties")) ? json_deep_copy (json_object_get (src, "properties"))
                                                                : json_object ();
  for (i = 0; i < req->n_properties; i++)
    {
      const char *eq = strchr (req->properties[i], '=');
      cleanup_free char *key = xstrndup (req->properties[i], (size_t) (eq - req->properties[i]));

      json_object_set_new (props, key, json_string (eq + 1));
    }
  meta = json_pack ("{s:s, s:o}", "architecture",
                    mc_config_get (cfg, "image.architecture", json_string_value (json_object_get (src, "architecture"))
                                                                  ?: "x86_64"),
                    "properties", props);
  json_object_set_new (meta, "creation_date", json_sprintf ("%lld", (long long) time (NULL)));
  if (json_is_object (json_object_get (src, "templates")))
    json_object_set (meta, "templates", json_object_get (src, "templates"));
  json_decref (src);
  return meta;
}

/* In the child: mount, write, exit.  */
static int
write_image (const struct pub *p, int out, mc_error_t *err)
{
  cleanup_free char *lowers = xasprintf ("%s:%s", p->upper, p->image_lowers);
  cleanup_free char *yaml = NULL;
  cleanup_close int fs = -1, mnt = -1, idir = -1, ufd = -1;
  struct mc_tar_writer *w;
  size_t len;
  int ret;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mc_make_error (err, errno, "private mount namespace");
  /* Read-only: two lower layers and no upper.  */
  fs = mc_sys_fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fs < 0 || mc_sys_fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir", lowers, 0) < 0
      || mc_sys_fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return mc_make_error (err, errno, "mount the container's tree");
  mnt = mc_sys_fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mnt < 0)
    return mc_make_error (err, errno, "mount the container's tree");
  if ((idir = open (p->image_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", p->image_dir);
  /* The image's layer is in container ids already; only what comes from
     the container's layer is in host ids.  */
  if ((ufd = open (p->upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return mc_make_error (err, errno, "open `%s`", p->upper);
  if (mc_yaml_dump (p->metadata, &yaml, &len, err) < 0 || (w = mc_tar_writer_open (out, true, err)) == NULL)
    return -1;
  ret = mc_tar_writer_add_buffer (w, "metadata.yaml", yaml, len, 0644, err);
  if (ret == 0 && json_object_size (json_object_get (p->metadata, "templates")) > 0
      && faccessat (idir, "templates", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    ret = mc_tar_writer_add_tree (w, idir, "templates", "templates", NULL, -1, false, err);
  if (ret == 0)
    ret = mc_tar_writer_add_tree (w, mnt, "", "rootfs", p->privileged ? NULL : &p->ids, ufd, false, err);
  if (ret < 0)
    {
      mc_tar_writer_abort (w);
      return -1;
    }
  return mc_tar_writer_close (w, err);
}

static int
run_child (const struct pub *p, int out, mc_error_t *err)
{
  int pipefd[2], status;
  char msg[1024];
  ssize_t n;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return mc_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    return mc_make_error (err, errno, "fork");
  if (pid == 0)
    {
      mc_error_t e = NULL;

      close (pipefd[0]);
      if (write_image (p, out, &e) < 0)
        {
          (void) !write (pipefd[1], e->msg, strlen (e->msg));
          _exit (1);
        }
      _exit (0);
    }
  close (pipefd[1]);
  n = read (pipefd[0], msg, sizeof (msg) - 1);
  close (pipefd[0]);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return mc_make_error (err, errno, "waitpid");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  msg[n > 0 ? n : 0] = '\0';
  return mc_make_error (err, 0, "%s", n > 0 ? msg : "writing the image failed");
}

int
mc_container_publish (struct mc_store *s, const struct mc_publish_request *req, char fp[65],
                      mc_error_t *err)
{
  cleanup_free char *upper = NULL, *image_dir = NULL, *path = NULL, *image_lowers = NULL;
  cleanup_close int out = -1;
  struct mc_freeze fz = { NULL, false, NULL };
  struct mc_import_result res;
  struct mc_import_request ireq = { 0 };
  struct mc_run_state st;
  enum mc_status status;
  const char *base_fp;
  cleanup_json json_t *cfg = NULL;
  struct pub p;
  size_t i;
  int ret;

  for (i = 0; i < req->n_properties; i++)
    if (strchr (req->properties[i], '=') == NULL || req->properties[i][0] == '=')
      return mc_make_usage_error (err, "publish: expected property=value, got `%s`", req->properties[i]);
  if (req->snap)
    {
      json_t *snap = mc_snapshot_get (s, req->name, req->snap, err);

      if (snap == NULL)
        return -1;
      cfg = json_incref (json_object_get (snap, "config"));
      json_decref (snap);
      upper = xasprintf ("%s/containers/%s/snapshots/%s/upper", s->root, req->name, req->snap);
    }
  else
    {
      if ((cfg = mc_container_config_load (s, req->name, err)) == NULL)
        return -1;
      if (mc_container_status (req->name, &st, &status, err) < 0)
        return -1;
      if (status != MC_STATUS_STOPPED && !req->force)
        return mc_make_error (err, 0, "container `%s` is running; publish --force freezes it while it is read",
                              req->name);
      upper = xasprintf ("%s/containers/%s/upper", s->root, req->name);
    }
  base_fp = mc_config_get (cfg, "volatile.base_image", "");
  if (mc_image_check_usable (s, base_fp, err) < 0)
    return -1;
  image_dir = xasprintf ("%s/images/%s", s->root, base_fp);
  if ((image_lowers = mc_image_lowerdir (s, base_fp, err)) == NULL)
    return -1;
  p.upper = upper;
  p.image_dir = image_dir;
  p.image_lowers = image_lowers;
  p.privileged = mc_config_get_bool (cfg, "security.privileged", false);
  if (mc_idmap_set_of_config (cfg, &p.ids, err) < 0)
    return -1;
  p.metadata = build_metadata (s, req, cfg, image_dir, err);
  if (p.metadata == NULL)
    return -1;
  /* An unnamed file in the store: nothing to clean up, whatever happens. */
  out = openat (s->imagesfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (out < 0)
    ret = mc_make_error (err, errno, "create a temp file in `%s/images`", s->root);
  else
    {
      ret = req->snap ? 0 : mc_freeze_if_running (req->name, &fz, err);
      if (ret == 0)
        ret = run_child (&p, out, err);
      if (ret == 0)
        mc_test_point ("publish-packed");
      if (!req->snap)
        ret = mc_thaw (&fz, ret, err);
    }
  json_decref (p.metadata);
  if (ret < 0)
    return mc_error_prefix (err, "publish `%s`", req->name);
  path = xasprintf ("/proc/self/fd/%d", out);
  ireq.meta_path = path;
  ireq.display_name = "publish.tar.gz";
  ireq.aliases = req->aliases;
  ireq.n_aliases = req->n_aliases;
  if (lseek (out, 0, SEEK_SET) < 0 || mc_image_import (s, &ireq, &res, err) < 0)
    return mc_error_prefix (err, "publish `%s`", req->name);
  memcpy (fp, res.fingerprint, MC_FP_HEX_LEN + 1);
  return 0;
}
