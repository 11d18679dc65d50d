/* The device program, run by a small interpreter of the instructions it
 * uses, against the answers the allowlist gives: what the kernel's
 * verifier accepts is checked by the VM suite (devices.bats), what the
 * program decides is checked here for every rule and its neighbours.  */
#include "tests/unit/unit.h"
#include "runtime/cgroup/devices.h"

#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

/* Returns the program's verdict for one access, or -1 on an instruction
 * the generator should never emit.  */
static int
run (const struct bpf_insn *prog, size_t n, unsigned type, unsigned access, uint32_t major,
     uint32_t minor)
{
  uint32_t ctx[3] = { type | (access << 16), major, minor };
  uint64_t r[11] = { 0 };
  size_t pc = 0;

  while (pc < n)
    {
      const struct bpf_insn *i = &prog[pc++];

      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM:
          assert_true (i->src_reg == BPF_REG_1 && i->off % 4 == 0 && i->off < 12);
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t) r[i->src_reg];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] & (uint32_t) i->imm;
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          r[i->dst_reg] = (uint64_t) (int64_t) i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (r[i->dst_reg] != (uint64_t) (int64_t) i->imm)
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          return -1;
        }
    }
  return -1; /* fell off the end: the verifier would refuse it */
}

static int
verdict (unsigned type, unsigned access, uint32_t major, uint32_t minor)
{
  size_t n;
  const struct mc_dev_rule *rules = mc_devices_default (&n);
  void *prog = NULL;
  size_t count = mc_devices_bpf_program (rules, n, &prog);
  int v = run (prog, count, type, access, major, minor);

  free (prog);
  return v;
}

#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

static void
test_allowed (void **state)
{
  static const uint32_t nodes[][2] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 },
                                       { 5, 1 }, { 5, 2 }, { 136, 0 }, { 136, 4095 },
                                       { 10, 229 }, { 10, 200 } };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (nodes) / sizeof (nodes[0]); i++)
    {
      assert_int_equal (verdict (C, R, nodes[i][0], nodes[i][1]), 1);
      assert_int_equal (verdict (C, W, nodes[i][0], nodes[i][1]), 1);
      assert_int_equal (verdict (C, R | W, nodes[i][0], nodes[i][1]), 1);
      assert_int_equal (verdict (C, M, nodes[i][0], nodes[i][1]), 1);
    }
}

static void
test_mknod_only (void **state)
{
  (void) state;
  /* Anything may be created, as in LXD ...  */
  assert_int_equal (verdict (B, M, 7, 7), 1);
  assert_int_equal (verdict (B, M, 8, 0), 1);
  assert_int_equal (verdict (C, M, 1, 1), 1);
  /* ... and opened only on the list.  */
  assert_int_equal (verdict (B, R, 7, 7), 0);
  assert_int_equal (verdict (B, W, 8, 0), 0);
  assert_int_equal (verdict (B, R | W, 254, 0), 0);
  assert_int_equal (verdict (C, R, 1, 1), 0);  /* mem */
  assert_int_equal (verdict (C, R, 1, 11), 0); /* kmsg */
  assert_int_equal (verdict (C, W, 4, 0), 0);  /* tty0 */
  assert_int_equal (verdict (C, R, 10, 232), 0); /* kvm */
  /* Neighbours of allowed nodes, and a block node with an allowed
   * character node's numbers.  */
  assert_int_equal (verdict (C, R, 1, 4), 0);
  assert_int_equal (verdict (C, R, 5, 3), 0);
  assert_int_equal (verdict (C, R, 137, 0), 0);
  assert_int_equal (verdict (C, R, 10, 201), 0);
  assert_int_equal (verdict (B, R, 1, 3), 0);
  assert_int_equal (verdict (B, R, 136, 0), 0);
  /* Read plus mknod on a node that only allows mknod: refused.  */
  assert_int_equal (verdict (B, R | M, 7, 7), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_allowed),
    cmocka_unit_test (test_mknod_only),
  };
  return cmocka_run_group_tests_name ("devices", tests, NULL, NULL);
}
