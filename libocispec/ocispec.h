/*
 * libocispec: OCI JSON documents as typed C structs.
 *
 * Every document is described by a table (struct oci_type) of fields: the JSON name, the
 * JSON kind, where the value lives in the C struct and, for objects and arrays of objects, the
 * child table. One generic walker parses (yajl's event parser, straight into the structs),
 * generates (yajl_gen) and frees any document from its table; a table holds at most 64
 * fields. Nothing here knows about Linux or containers.
 *
 * C layout conventions the walker relies on:
 *   string           char *                       (NULL when absent)
 *   bool/integers    the C type, plus `bool has_<member>` when declared with OCI_OPT
 *   object           struct child *               (NULL when absent)
 *   array            T *<member> + size_t <member>_len (objects stored contiguously)
 *   map              struct oci_map               (JSON object of string values)
 *   keyed array      T * + _len, T's first member the char * key (JSON object of objects)
 *   json             char *                       (any JSON value kept as compact text)
 */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum oci_kind {
	OCI_STRING,
	OCI_BOOL,
	OCI_INT32,
	OCI_UINT32,
	OCI_INT64,
	OCI_UINT64,
	OCI_DOUBLE,
	OCI_OBJECT,
	OCI_ARRAY,
	OCI_MAP,
	OCI_JSON,
};

#define OCI_REQUIRED 0x1u
/* An array of objects written in JSON as an object keyed by name (linux.netDevices,
 * resources.rdma): each element's first member is a `char *` holding its key. */
#define OCI_KEYED 0x2u
#define OCI_NONE ((size_t)-1)

struct oci_type;

struct oci_field {
	const char *name;            /* JSON member name; NULL ends a table */
	enum oci_kind kind;
	enum oci_kind elem;          /* OCI_ARRAY: the kind of each element */
	unsigned flags;              /* OCI_REQUIRED */
	size_t offset;               /* where the value lives */
	size_t aux_offset;           /* arrays: the size_t length; OCI_OPT scalars: the bool has_ flag */
	const struct oci_type *type; /* objects and arrays of objects */
};

struct oci_type {
	const char *name; /* for messages: "object" by default */
	size_t size;
	const struct oci_field *fields;
};

/* A JSON object whose values are all strings (annotations, sysctl, unified, ...). */
struct oci_map {
	char **keys;
	char **values;
	size_t len;
};

const char *oci_map_get(const struct oci_map *map, const char *key);
int oci_map_set(struct oci_map *map, const char *key, const char *value);

/*
 * Parse `len` bytes of JSON into a newly allocated struct described by `type`. `source` names
 * the document in messages ("config.json"). On failure returns -1 and sets *err to one line:
 * "config.json: linux.resources.memory.limit: expected integer". Unknown members are ignored,
 * as the runtime-spec requires; null means absent; of a repeated member the first counts.
 * With several errors, a syntax error is reported first, then the first error met walking
 * the tables in order, wherever it stands in the text.
 */
int oci_parse(const struct oci_type *type, const char *json, size_t len, const char *source,
	      void **out, char **err);
/* Same, reading the file at `path`; messages name `path`. */
int oci_parse_file(const struct oci_type *type, const char *path, void **out, char **err);
/* Read the whole file at `path` into *out (malloc'ed, *len bytes, NUL after them), sized
 * from fstat for a regular file; on failure -1 and *err names `path`. */
int oci_read_file(const char *path, char **out, size_t *len, char **err);
/* Serialise; *json is NUL-terminated and malloc'ed. */
int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **json,
		 size_t *len, char **err);
void oci_free(const struct oci_type *type, void *obj);

/* Helpers for tables: field(struct, member, "jsonName", kind, flags). */
#define OCI_FIELD(st, member, json, k, fl)                                                   \
	{ .name = (json), .kind = (k), .flags = (fl), .offset = offsetof(st, member),        \
	  .aux_offset = OCI_NONE }
#define OCI_OPT(st, member, json, k, fl)                                                     \
	{ .name = (json), .kind = (k), .flags = (fl), .offset = offsetof(st, member),        \
	  .aux_offset = offsetof(st, has_##member) }
#define OCI_OBJ(st, member, json, t, fl)                                                     \
	{ .name = (json), .kind = OCI_OBJECT, .flags = (fl), .offset = offsetof(st, member), \
	  .aux_offset = OCI_NONE, .type = &(t) }
#define OCI_ARR(st, member, json, ek, fl)                                                    \
	{ .name = (json), .kind = OCI_ARRAY, .elem = (ek), .flags = (fl),                    \
	  .offset = offsetof(st, member), .aux_offset = offsetof(st, member##_len) }
#define OCI_OBJARR(st, member, json, t, fl)                                                  \
	{ .name = (json), .kind = OCI_ARRAY, .elem = OCI_OBJECT, .flags = (fl),              \
	  .offset = offsetof(st, member), .aux_offset = offsetof(st, member##_len),          \
	  .type = &(t) }
#define OCI_END { .name = NULL }

#endif
