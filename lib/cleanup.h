/* Ownership and allocation, after crun's and bubblewrap's utils.h: the
 * cleanup attributes that release a variable when it goes out of scope
 * (free, close, fclose, closedir, json_decref), steal_pointer / steal_fd
 * to hand ownership on, and allocation that aborts on OOM rather than
 * threading NULL everywhere.  The leaf of lib/: it includes nothing of
 * minictr's.  */
#ifndef MINICTR_CLEANUP_H
#define MINICTR_CLEANUP_H

#include <dirent.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_fclosep (FILE **f);
void cleanup_closedirp (DIR **d);
void cleanup_jsonp (json_t **j);

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_closedirp)))
/* json_decref (NULL) is a no-op: a NULL json_t needs no care.  */
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

static inline void *
steal_pointer_impl (void *pp)
{
  void **p = pp;
  void *ret = *p;
  *p = NULL;
  return ret;
}
/* Works for json_t * too: `return steal_pointer (&doc);`.  */
#define steal_pointer(pp) steal_pointer_impl (pp)

static inline int
steal_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
