/* OCI seccomp profiles compiled with libseccomp (seccomp.h).  */
#include "runtime/oci/seccomp.h"
#include "lib/cleanup.h"
#include "lib/utils.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

struct mc_oci_seccomp
{
  scmp_filter_ctx ctx;
};

/* The actions by their spec names; those with an errno take errnoRet.  */
static const struct
{
  const char *name;
  uint32_t action;
  bool with_errno;
} actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", 0, true },
  { "SCMP_ACT_TRACE", 0, true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The architectures minictr's libseccomp builds filters for, by their
 * spec names (SCMP_ARCH_ and libseccomp's name in capitals).  */
static const char *const arches[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",      "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",   "SCMP_ARCH_RISCV64",
};

/* An error about the profile: FMT goes on from "`linux.seccomp".  */
#define bad(err, fmt, ...) mc_make_error (err, 0, "config.json: `linux.seccomp" fmt, ##__VA_ARGS__)

/* OBJ's ACTION (and errnoRet) at WHERE: *OUT.  */
static int
action_of (json_t *obj, const char *key, const char *errno_key, const char *where, uint32_t *out, mc_error_t *err)
{
  const char *name = json_string_value (json_object_get (obj, key));
  json_t *ret = json_object_get (obj, errno_key);
  size_t i;

  if (name == NULL)
    return bad (err, "%s.%s` is missing or not a string", where, key);
  for (i = 0; i < N_ELEMENTS (actions) && strcmp (actions[i].name, name) != 0; i++)
    ;
  if (i == N_ELEMENTS (actions))
    {
      if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
        return bad (err, "%s.%s` SCMP_ACT_NOTIFY (a seccomp agent) is not supported by minictr", where, key);
      return bad (err, "%s.%s`: unknown action `%s`", where, key, name);
    }
  if (ret && (!json_is_integer (ret) || json_integer_value (ret) < 0 || json_integer_value (ret) > 4095))
    return bad (err, "%s.%s` is not an errno", where, errno_key);
  if (!actions[i].with_errno)
    *out = actions[i].action;
  else
    {
      /* EPERM unless given, as runc.  */
      uint16_t e = ret ? (uint16_t) json_integer_value (ret) : EPERM;

      *out = strcmp (name, "SCMP_ACT_ERRNO") == 0 ? SCMP_ACT_ERRNO (e) : SCMP_ACT_TRACE (e);
    }
  return 0;
}

static int
only_keys (json_t *obj, const char *where, const char *const *keys, size_t n, mc_error_t *err)
{
  const char *key;
  json_t *v;
  size_t i;

  if (!json_is_object (obj))
    return bad (err, "%s` is not an object", where);
  json_object_foreach (obj, key, v)
    {
      for (i = 0; i < n && strcmp (keys[i], key) != 0; i++)
        ;
      if (i == n)
        return bad (err, "%s.%s` is not supported by minictr", where, key);
    }
  return 0;
}

static int
read_args (json_t *list, size_t r, struct scmp_arg_cmp **out, size_t *n, mc_error_t *err)
{
  static const char *const keys[] = { "index", "value", "valueTwo", "op" };
  json_t *v;
  size_t i, j;

  *n = 0;
  if (list == NULL || json_is_null (list))
    return 0;
  if (!json_is_array (list))
    return bad (err, ".syscalls[%zu].args` is not a list", r);
  *out = xmalloc0 ((json_array_size (list) + 1) * sizeof (**out));
  json_array_foreach (list, i, v)
    {
      json_t *index = json_object_get (v, "index"), *value = json_object_get (v, "value"),
             *two = json_object_get (v, "valueTwo");
      const char *op = json_string_value (json_object_get (v, "op"));
      cleanup_free char *where = xasprintf (".syscalls[%zu].args[%zu]", r, i);

      if (only_keys (v, where, keys, N_ELEMENTS (keys), err) < 0)
        return -1;
      if (!json_is_integer (index) || json_integer_value (index) < 0 || json_integer_value (index) > 5)
        return bad (err, "%s.index` is not 0 to 5", where);
      if (!json_is_integer (value) || (two && !json_is_integer (two)))
        return bad (err, "%s`: `value` and `valueTwo` are numbers", where);
      for (j = 0; op && j < N_ELEMENTS (operators) && strcmp (operators[j].name, op) != 0; j++)
        ;
      if (op == NULL || j == N_ELEMENTS (operators))
        return bad (err, "%s.op`: unknown operator `%s`", where, op ? op : "(none)");
      (*out)[i].arg = (unsigned int) json_integer_value (index);
      (*out)[i].op = operators[j].op;
      /* (JSON integers are signed: a mask of the top bit comes negative.)  */
      (*out)[i].datum_a = (scmp_datum_t) json_integer_value (value);
      (*out)[i].datum_b = two ? (scmp_datum_t) json_integer_value (two) : 0;
    }
  *n = json_array_size (list);
  return 0;
}

/* One rule for NR: the comparisons together when each is on its own
 * argument; else, as runc, one rule for each (libseccomp takes one
 * comparison of an argument per rule).  */
static int
add_rule (scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *args, size_t n)
{
  bool repeated = false;
  size_t i, j;
  int ret;

  for (i = 0; i < n && !repeated; i++)
    for (j = i + 1; j < n && !repeated; j++)
      repeated = args[i].arg == args[j].arg;
  if (!repeated)
    return seccomp_rule_add_array (ctx, action, nr, (unsigned int) n, args);
  for (i = 0; i < n; i++)
    if ((ret = seccomp_rule_add_array (ctx, action, nr, 1, &args[i])) < 0)
      return ret;
  return 0;
}

static int
read_rules (scmp_filter_ctx ctx, json_t *list, uint32_t def, mc_error_t *err)
{
  static const char *const keys[] = { "names", "action", "errnoRet", "args", "comment", "includes", "excludes" };
  json_t *rule, *name;
  size_t r, k;

  if (list == NULL || json_is_null (list))
    return 0;
  if (!json_is_array (list))
    return bad (err, ".syscalls` is not a list");
  json_array_foreach (list, r, rule)
    {
      cleanup_free char *where = xasprintf (".syscalls[%zu]", r);
      cleanup_free struct scmp_arg_cmp *args = NULL;
      json_t *names = json_object_get (rule, "names");
      uint32_t action;
      size_t n_args;

      if (only_keys (rule, where, keys, N_ELEMENTS (keys), err) < 0
          || action_of (rule, "action", "errnoRet", where, &action, err) < 0
          || read_args (json_object_get (rule, "args"), r, &args, &n_args, err) < 0)
        return -1;
      /* docker's own profile format, not the runtime's: a config that
         still has them was not resolved for this host.  */
      if (json_object_size (json_object_get (rule, "includes")) || json_object_size (json_object_get (rule, "excludes")))
        return bad (err, "%s`: `includes` and `excludes` are not the runtime spec's", where);
      if (!json_is_array (names) || json_array_size (names) == 0)
        return bad (err, "%s.names` is missing or empty", where);
      json_array_foreach (names, k, name)
        {
          int nr, ret;

          if (!json_is_string (name))
            return bad (err, "%s.names[%zu]` is not a string", where, k);
          nr = seccomp_syscall_resolve_name (json_string_value (name));
          /* A syscall this libseccomp does not know (newer than it): no
             rule, as runc; one the default already does: none needed.  */
          if (nr == __NR_SCMP_ERROR || action == def)
            continue;
          ret = add_rule (ctx, action, nr, args, n_args);
          if (ret < 0)
            return mc_make_error (err, -ret, "config.json: `linux.seccomp%s`: the rule for `%s`", where,
                                  json_string_value (name));
        }
    }
  return 0;
}

int
mc_oci_seccomp_compile (json_t *profile, struct mc_oci_seccomp **out, mc_error_t *err)
{
  static const char *const keys[] = { "defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls",
                                      "listenerPath", "listenerMetadata" };
  struct mc_oci_seccomp *f;
  json_t *v, *list;
  uint32_t def;
  size_t i;
  int ret;

  *out = NULL;
  if (profile == NULL || json_is_null (profile))
    return 0;
  if (only_keys (profile, "", keys, N_ELEMENTS (keys), err) < 0
      || action_of (profile, "defaultAction", "defaultErrnoRet", "", &def, err) < 0)
    return -1;
  if (json_object_get (profile, "listenerPath"))
    return bad (err, ".listenerPath` (a seccomp agent) is not supported by minictr");
  f = xmalloc0 (sizeof (*f));
  f->ctx = seccomp_init (def);
  if (f->ctx == NULL)
    {
      free (f);
      return mc_make_error (err, ENOMEM, "seccomp_init");
    }
  /* no_new_privs is the process's own (process.noNewPrivileges); the
     filter goes to every thread.  */
  if ((ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0
      || (ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
    {
      mc_make_error (err, -ret, "seccomp_attr_set");
      goto fail;
    }
  list = json_object_get (profile, "architectures");
  if (list && !json_is_array (list) && !json_is_null (list))
    {
      bad (err, ".architectures` is not a list");
      goto fail;
    }
  json_array_foreach (list, i, v)
    {
      const char *name = json_string_value (v);
      char lower[32];
      uint32_t arch = 0;
      size_t j;

      for (j = 0; name && j < N_ELEMENTS (arches) && strcmp (arches[j], name) != 0; j++)
        ;
      if (name && j < N_ELEMENTS (arches))
        {
          for (j = 0; name[10 + j] && j + 1 < sizeof (lower); j++)
            lower[j] = (char) tolower ((unsigned char) name[10 + j]);
          lower[j] = '\0';
          arch = seccomp_arch_resolve_name (lower);
        }
      if (arch == 0)
        {
          bad (err, ".architectures[%zu]`: unknown architecture `%s`", i, name ? name : "(not a string)");
          goto fail;
        }
      ret = seccomp_arch_add (f->ctx, arch);
      if (ret < 0 && ret != -EEXIST)
        {
          mc_make_error (err, -ret, "config.json: `linux.seccomp.architectures[%zu]` %s", i, name);
          goto fail;
        }
    }
  list = json_object_get (profile, "flags");
  json_array_foreach (list, i, v)
    {
      const char *name = json_string_value (v);

      if (name && strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        continue;
      if (name && strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
        ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_LOG, 1);
      else if (name && strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        ret = seccomp_attr_set (f->ctx, SCMP_FLTATR_CTL_SSB, 1);
      else
        {
          bad (err, ".flags[%zu]`: `%s` is not supported by minictr", i, name ? name : "(not a string)");
          goto fail;
        }
      if (ret < 0)
        {
          mc_make_error (err, -ret, "config.json: `linux.seccomp.flags[%zu]` %s", i, name);
          goto fail;
        }
    }
  if (read_rules (f->ctx, json_object_get (profile, "syscalls"), def, err) < 0)
    goto fail;
  *out = f;
  return 0;
fail:
  mc_oci_seccomp_free (f);
  return -1;
}

int
mc_oci_seccomp_load (struct mc_oci_seccomp *f, mc_error_t *err)
{
  int ret = seccomp_load (f->ctx);

  if (ret < 0)
    return mc_make_error (err, -ret, "load the config's seccomp filter");
  return 0;
}

void
mc_oci_seccomp_free (struct mc_oci_seccomp *f)
{
  if (f == NULL)
    return;
  seccomp_release (f->ctx);
  free (f);
}

json_t *
mc_oci_seccomp_features (void)
{
  json_t *acts = json_array (), *ops = json_array (), *archs = json_array ();
  size_t i;

  for (i = 0; i < N_ELEMENTS (actions); i++)
    json_array_append_new (acts, json_string (actions[i].name));
  for (i = 0; i < N_ELEMENTS (operators); i++)
    json_array_append_new (ops, json_string (operators[i].name));
  for (i = 0; i < N_ELEMENTS (arches); i++)
    json_array_append_new (archs, json_string (arches[i]));
  return json_pack ("{s:b, s:o, s:o, s:o, s:[s,s,s]}", "enabled", 1, "actions", acts, "operators", ops, "archs", archs,
                    "knownFlags", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
}
