/* LXD image templates: metadata.yaml `templates:` maps a path in the
 * container to a template file under the image's templates/, with `when:`
 * (create, copy, start), `create_only` and `properties`.  The template
 * language is the subset of pongo2 real images use:
 *
 *   {{ EXPR }}                        the value, as text
 *   {% if EXPR %} ... {% elif EXPR %} ... {% else %} ... {% endif %}
 *   EXPR:  container.name | instance.name | container.architecture | ...
 *          properties.KEY | config_get("key", DEFAULT) | "literal"
 *          | EXPR == EXPR | EXPR != EXPR | not EXPR | EXPR and/or EXPR
 *
 * Anything else is an error naming the template and the line, never
 * silent output.  Rendering happens in the CLI; the container's first
 * process writes the results inside its root (template.c renders,
 * start.c writes with RESOLVE_IN_ROOT).  */
#ifndef MINICTR_TEMPLATE_H
#define MINICTR_TEMPLATE_H

#include "lib/error.h"

#include <jansson.h>
#include <stdbool.h>

/* Render TEXT (named NAME in errors).  CONTEXT: {container: {...},
 * instance: {...}, properties: {...}, config: {...}}.  */
char *mc_template_render (const char *name, const char *text, json_t *context,
                          mc_error_t *err);

struct mc_rendered
{
  char *path;        /* absolute, in the container */
  char *content;
  bool create_only;
};

/* Render the templates of the image in IMAGE_DIR that fire on TRIGGER
 * ("create", "copy", "start") for container NAME with the expanded
 * config CFG.  *OUT gets an array of *N results.  */
int mc_templates_for (const char *image_dir, const char *name, json_t *cfg,
                      const char *trigger, struct mc_rendered **out, size_t *n,
                      mc_error_t *err);

void mc_rendered_free (struct mc_rendered *r, size_t n);

#endif
