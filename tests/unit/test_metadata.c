#include "tests/unit/unit.h"
#include "images/metadata.h"

#include <stdio.h>
#include <string.h>

static int
parse (const char *yaml, struct mc_image_metadata *md, mc_error_t *err)
{
  return mc_metadata_parse (yaml, strlen (yaml), md, err);
}

static void
expect_bad (const char *yaml, const char *why)
{
  struct mc_image_metadata md;
  mc_error_t err = NULL;

  assert_int_equal (parse (yaml, &md, &err), -1);
  assert_error_contains (err, why);
}

static void
test_full (void **state)
{
  struct mc_image_metadata md;
  mc_error_t err = NULL;
  const char *yaml =
    "architecture: x86_64\n"
    "creation_date: 1588291200\n"
    "expiry_date: 1903910400\n"
    "properties:\n"
    "  description: Ubuntu 20.04 LTS\n"
    "  os: ubuntu\n"
    "  release: \"20.04\"\n"
    "  serial: 20200501\n"
    "templates:\n"
    "  /etc/hostname:\n"
    "    when: [create, copy]\n"
    "    template: hostname.tpl\n";

  (void) state;
  assert_int_equal (parse (yaml, &md, &err), 0);
  assert_string_equal (md.architecture, "x86_64");
  assert_int_equal (md.creation_date, 1588291200);
  assert_int_equal (md.expiry_date, 1903910400);
  assert_string_equal (json_string_value (json_object_get (md.properties, "release")), "20.04");
  /* Unquoted numbers stay strings: LXD's properties are map[string]string. */
  assert_string_equal (json_string_value (json_object_get (md.properties, "serial")), "20200501");
  assert_int_equal (json_object_size (md.properties), 4);
  assert_string_equal (json_string_value (json_object_get (json_object_get (md.templates, "/etc/hostname"), "template")),
                       "hostname.tpl");
  mc_metadata_release (&md);
}

static void
test_minimal (void **state)
{
  struct mc_image_metadata md;
  mc_error_t err = NULL;

  (void) state;
  assert_int_equal (parse ("architecture: aarch64\ncreation_date: 0\n", &md, &err), 0);
  assert_string_equal (md.architecture, "aarch64");
  assert_int_equal (md.creation_date, 0);
  assert_int_equal (md.expiry_date, 0);
  assert_int_equal (json_object_size (md.properties), 0);
  assert_int_equal (json_object_size (md.templates), 0);
  mc_metadata_release (&md);
}

static void
test_required_and_types (void **state)
{
  (void) state;
  expect_bad ("creation_date: 1\n", "missing required key `architecture`");
  expect_bad ("architecture: x86_64\n", "missing required key `creation_date`");
  expect_bad ("architecture: \"\"\ncreation_date: 1\n", "`architecture` must be a non-empty string");
  expect_bad ("architecture: [x86_64]\ncreation_date: 1\n", "`architecture` must be a non-empty string");
  expect_bad ("architecture: x86_64\ncreation_date: yesterday\n", "`creation_date` must be a Unix timestamp");
  expect_bad ("architecture: x86_64\ncreation_date: -5\n", "`creation_date` must be a Unix timestamp");
  expect_bad ("architecture: x86_64\ncreation_date: 1\nproperties: [a]\n", "`properties` must be a mapping");
  expect_bad ("architecture: x86_64\ncreation_date: 1\nproperties:\n  os: {a: b}\n", "property `os` must be a string");
  expect_bad ("- a\n- b\n", "top level must be a mapping");
  expect_bad ("", "missing required key `architecture`");
}

static void
test_templates (void **state)
{
  (void) state;
  expect_bad ("architecture: x\ncreation_date: 1\ntemplates:\n  etc/hostname:\n    template: h.tpl\n",
              "must be an absolute path");
  expect_bad ("architecture: x\ncreation_date: 1\ntemplates:\n  /etc/hostname:\n    template: ../../etc/shadow\n",
              "invalid file name `../../etc/shadow`");
  expect_bad ("architecture: x\ncreation_date: 1\ntemplates:\n  /etc/hostname:\n    when: create\n    template: h.tpl\n",
              "`when` must be a list");
  expect_bad ("architecture: x\ncreation_date: 1\ntemplates:\n  /etc/hostname: h.tpl\n",
              "must be a mapping");
}

/* metadata.yaml comes from untrusted images.  */
static void
test_hostile_yaml (void **state)
{
  char deep[4096] = "architecture: x\ncreation_date: 1\nproperties: ";
  size_t i;

  (void) state;
  expect_bad ("architecture: &a x86_64\ncreation_date: 1\nproperties:\n  os: *a\n", "YAML aliases are not allowed");
  expect_bad ("architecture: x\ncreation_date: 1\n---\narchitecture: y\n", "more than one YAML document");
  expect_bad ("architecture: [x\n", "invalid YAML at line");
  for (i = 0; i < 100; i++)
    strcat (deep, "[");
  expect_bad (deep, "nested deeper than 64 levels");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_full),
    cmocka_unit_test (test_minimal),
    cmocka_unit_test (test_required_and_types),
    cmocka_unit_test (test_templates),
    cmocka_unit_test (test_hostile_yaml),
  };
  return cmocka_run_group_tests_name ("metadata", tests, NULL, NULL);
}
