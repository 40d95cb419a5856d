/*
 * What every document shares beyond parsing (parse.c) and generating (generate.c): the size of
 * array elements, freeing a document from its table, and string maps.
 * This file must stay independent of Linux and of berth's runtime.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "walker.h"

size_t oci_elem_size(const struct oci_field *f)
{
	switch (f->elem) {
	case OCI_STRING:
	case OCI_JSON:
		return sizeof(char *);
	case OCI_BOOL:
		return sizeof(bool);
	case OCI_INT32:
	case OCI_UINT32:
		return sizeof(uint32_t);
	case OCI_INT64:
	case OCI_UINT64:
		return sizeof(uint64_t);
	case OCI_DOUBLE:
		return sizeof(double);
	case OCI_OBJECT:
		return f->type->size;
	case OCI_MAP:
		return sizeof(struct oci_map);
	case OCI_ARRAY:
		break;
	}
	return 0;
}

/* ---- freeing ------------------------------------------------------------------------ */

static void free_object_fields(const struct oci_type *type, void *obj);

static void free_value(enum oci_kind kind, const struct oci_type *type, void *slot)
{
	switch (kind) {
	case OCI_STRING:
	case OCI_JSON:
		free(*(char **)slot);
		break;
	case OCI_OBJECT:
		if (*(void **)slot) {
			free_object_fields(type, *(void **)slot);
			free(*(void **)slot);
		}
		break;
	case OCI_MAP: {
		struct oci_map *m = slot;
		size_t i;
		for (i = 0; i < m->len; i++) {
			free(m->keys[i]);
			free(m->values[i]);
		}
		free(m->keys);
		free(m->values);
		break;
	}
	default:
		break;
	}
}

static void free_object_fields(const struct oci_type *type, void *obj)
{
	const struct oci_field *f;

	for (f = type->fields; f->name; f++) {
		void *slot = AT(obj, f->offset);
		if (f->kind == OCI_ARRAY) {
			char *items = *(char **)slot;
			size_t i, n = *(size_t *)AT(obj, f->aux_offset), size = oci_elem_size(f);
			if (items == NULL)
				continue;
			for (i = 0; i < n; i++) {
				if (f->flags & OCI_KEYED)
					free(*(char **)(items + i * size));
				if (f->elem == OCI_OBJECT)
					free_object_fields(f->type, items + i * size);
				else
					free_value(f->elem, f->type, items + i * size);
			}
			free(items);
		} else {
			free_value(f->kind, f->type, slot);
		}
	}
}

void oci_free(const struct oci_type *type, void *obj)
{
	if (obj == NULL)
		return;
	free_object_fields(type, obj);
	free(obj);
}

/* ---- maps --------------------------------------------------------------------------- */

const char *oci_map_get(const struct oci_map *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->len; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->values[i];
	return NULL;
}

int oci_map_set(struct oci_map *map, const char *key, const char *value)
{
	char **keys, **values, *k, *v;
	size_t i;

	for (i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			if ((v = strdup(value)) == NULL)
				return -1;
			free(map->values[i]);
			map->values[i] = v;
			return 0;
		}
	}
	keys = realloc(map->keys, (map->len + 2) * sizeof(char *));
	if (keys == NULL)
		return -1;
	map->keys = keys;
	values = realloc(map->values, (map->len + 2) * sizeof(char *));
	if (values == NULL)
		return -1;
	map->values = values;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -1;
	}
	map->keys[map->len] = k;
	map->values[map->len] = v;
	map->len++;
	map->keys[map->len] = map->values[map->len] = NULL;
	return 0;
}
