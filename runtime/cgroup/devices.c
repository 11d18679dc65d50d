/* Device access control (devices.h).  */
#include "runtime/cgroup/devices.h"
#include "lib/cleanup.h"
#include "lib/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define RWM (MC_DEV_MKNOD | MC_DEV_READ | MC_DEV_WRITE)

static const struct mc_dev_rule default_rules[] = {
  { 'c', MC_DEV_ANY, MC_DEV_ANY, MC_DEV_MKNOD },
  { 'b', MC_DEV_ANY, MC_DEV_ANY, MC_DEV_MKNOD },
  { 'c', 1, 3, RWM },   /* null */
  { 'c', 1, 5, RWM },   /* zero */
  { 'c', 1, 7, RWM },   /* full */
  { 'c', 1, 8, RWM },   /* random */
  { 'c', 1, 9, RWM },   /* urandom */
  { 'c', 5, 0, RWM },   /* tty */
  { 'c', 5, 1, RWM },   /* console */
  { 'c', 5, 2, RWM },   /* ptmx */
  { 'c', 136, MC_DEV_ANY, RWM }, /* pts/N */
  { 'c', 10, 229, RWM }, /* fuse */
  { 'c', 10, 200, RWM }, /* net/tun */
};

const struct mc_dev_rule *
mc_devices_default (size_t *n)
{
  *n = N_ELEMENTS (default_rules);
  return default_rules;
}

/* ---- cgroup v1: the devices controller ----------------------------------- */

static void
v1_number (char *buf, size_t size, uint32_t v)
{
  if (v == MC_DEV_ANY)
    snprintf (buf, size, "*");
  else
    snprintf (buf, size, "%u", v);
}

static char *
v1_rule (const struct mc_dev_rule *r)
{
  char major[16], minor[16];

  v1_number (major, sizeof (major), r->major);
  v1_number (minor, sizeof (minor), r->minor);
  return xasprintf ("%c %s:%s %s%s%s", r->type, major, minor, (r->access & MC_DEV_READ) ? "r" : "",
                    (r->access & MC_DEV_WRITE) ? "w" : "", (r->access & MC_DEV_MKNOD) ? "m" : "");
}

static int
v1_write (int dirfd, const char *file, const char *value, mc_error_t *err)
{
  cleanup_close int fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || write (fd, value, strlen (value)) < 0)
    return mc_make_error (err, errno, "write `%s` to %s", value, file);
  return 0;
}

static int
limit_v1 (const char *dir, const struct mc_dev_rule *rules, size_t n, mc_error_t *err)
{
  cleanup_close int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  size_t i;

  if (dirfd < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  if (v1_write (dirfd, "devices.deny", "a", err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      cleanup_free char *line = v1_rule (&rules[i]);

      if (v1_write (dirfd, "devices.allow", line, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- cgroup v2: a device program ----------------------------------------- */

/* The context is struct bpf_cgroup_dev_ctx: access_type (device type in
 * the low 16 bits, BPF_DEVCG_ACC_* in the high ones), major, minor.
 * Registers: r2 access, r3 type, r4 major, r5 minor, r6 scratch.  A rule
 * is a block of checks, each jumping past the block on a mismatch, and
 * ending in "return 1"; after the last block, "return 0".  */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define MOV32_REG(d, s) INSN (BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU32_IMM(op, d, i) INSN (BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define MOV64_IMM(d, i) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT_INSN() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned
bpf_access (unsigned access)
{
  return ((access & MC_DEV_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0) | ((access & MC_DEV_READ) ? BPF_DEVCG_ACC_READ : 0)
         | ((access & MC_DEV_WRITE) ? BPF_DEVCG_ACC_WRITE : 0);
}

static size_t
rule_block (const struct mc_dev_rule *r, struct bpf_insn *out)
{
  unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  unsigned acc = bpf_access (r->access);
  struct bpf_insn b[8];
  size_t n = 0, i;

  b[n++] = JNE_IMM (BPF_REG_3, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
  if (acc != all)
    {
      /* Every access asked for must be in the rule's.  */
      b[n++] = MOV32_REG (BPF_REG_6, BPF_REG_2);
      b[n++] = ALU32_IMM (BPF_AND, BPF_REG_6, (int32_t) (all & ~acc));
      b[n++] = JNE_IMM (BPF_REG_6, 0, 0);
    }
  if (r->major != MC_DEV_ANY)
    b[n++] = JNE_IMM (BPF_REG_4, (int32_t) r->major, 0);
  if (r->minor != MC_DEV_ANY)
    b[n++] = JNE_IMM (BPF_REG_5, (int32_t) r->minor, 0);
  b[n++] = MOV64_IMM (BPF_REG_0, 1);
  b[n++] = EXIT_INSN ();
  /* Each jump lands just past the block.  */
  for (i = 0; i < n; i++)
    if (b[i].code == (BPF_JMP | BPF_JNE | BPF_K))
      b[i].off = (int16_t) (n - i - 1);
  if (out)
    memcpy (out, b, n * sizeof (b[0]));
  return n;
}

size_t
mc_devices_bpf_program (const struct mc_dev_rule *rules, size_t n, void **out)
{
  static const struct bpf_insn prologue[] = {
    LDX_W (BPF_REG_2, BPF_REG_1, 0),
    MOV32_REG (BPF_REG_3, BPF_REG_2),
    ALU32_IMM (BPF_AND, BPF_REG_3, 0xffff),
    ALU32_IMM (BPF_RSH, BPF_REG_2, 16),
    LDX_W (BPF_REG_4, BPF_REG_1, 4),
    LDX_W (BPF_REG_5, BPF_REG_1, 8),
  };
  size_t total = N_ELEMENTS (prologue) + 2, i, at;
  struct bpf_insn *prog;

  for (i = 0; i < n; i++)
    total += rule_block (&rules[i], NULL);
  prog = xmalloc0 (total * sizeof (*prog));
  memcpy (prog, prologue, sizeof (prologue));
  at = N_ELEMENTS (prologue);
  for (i = 0; i < n; i++)
    at += rule_block (&rules[i], prog + at);
  prog[at++] = MOV64_IMM (BPF_REG_0, 0);
  prog[at++] = EXIT_INSN ();
  *out = prog;
  return at;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
limit_v2 (const char *dir, const struct mc_dev_rule *rules, size_t n, mc_error_t *err)
{
  cleanup_free void *insns = NULL;
  size_t count = mc_devices_bpf_program (rules, n, &insns);
  cleanup_close int cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int prog = -1;
  union bpf_attr attr;

  if (cgfd < 0)
    return mc_make_error (err, errno, "open `%s`", dir);
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  prog = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog < 0)
    return mc_make_error (err, errno, "load the device access program (kernel without cgroup BPF?)");
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) cgfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return mc_make_error (err, errno, "attach the device access program to `%s`", dir);
  return 0;
}

int
mc_devices_limit (struct mc_cgroup *cg, const struct mc_dev_rule *extra, size_t n_extra, mc_error_t *err)
{
  size_t n;
  const struct mc_dev_rule *defaults = mc_devices_default (&n);
  cleanup_free struct mc_dev_rule *rules = xmalloc0 (sizeof (*rules) * (n + n_extra + 1));
  const char *dir;

  memcpy (rules, defaults, sizeof (*rules) * n);
  if (n_extra)
    memcpy (rules + n, extra, sizeof (*rules) * n_extra);
  n += n_extra;
  if (mc_cgroup_layout (cg) == MC_CGROUP_V1 && (dir = mc_cgroup_path (cg, "devices")) != NULL)
    return limit_v1 (dir, rules, n, err);
  dir = mc_cgroup_path (cg, "");
  if (dir == NULL)
    return mc_make_error (err, 0, "no devices cgroup and no cgroup2 cgroup: cannot limit devices");
  return limit_v2 (dir, rules, n, err);
}
