/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON: a writer for the tool's --json output and a strict parser (RFC 8259)
 * for the tests that read it.
 */
#ifndef _VMLAB_JSON_H
#define _VMLAB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Deepest nesting the writer and the parser accept. */
#define VL_JSON_MAX_DEPTH	32

/**
 * struct vl_jw - a JSON writer
 * @out: where the text goes
 * @depth: open objects and arrays
 * @kind: '{' or '[' for each open level, from 1; level 0 is the top
 * @count: members written at each level (at most one at the top)
 * @error: -EINVAL once a call broke the nesting (a key inside an array,
 *	none inside an object, too deep, an end without a begin), else 0
 *
 * Output is indented by two spaces per level, one member per line.
 */
struct vl_jw {
	FILE *out;
	int depth;
	char kind[VL_JSON_MAX_DEPTH + 1];
	size_t count[VL_JSON_MAX_DEPTH + 1];
	int error;
};

/**
 * vl_jw_init() - start a JSON text
 * @w: the writer
 * @out: the stream to write to
 */
void vl_jw_init(struct vl_jw *w, FILE *out);

/*
 * Members: @key is the member name inside an object and must be NULL
 * inside an array and at the top level.
 */

/* vl_jw_object() - open an object. */
void vl_jw_object(struct vl_jw *w, const char *key);
/* vl_jw_array() - open an array. */
void vl_jw_array(struct vl_jw *w, const char *key);
/* vl_jw_end() - close the innermost object or array. */
void vl_jw_end(struct vl_jw *w);
/* vl_jw_string() - a string, escaped as needed; null when @s is NULL. */
void vl_jw_string(struct vl_jw *w, const char *key, const char *s);
/* vl_jw_stringf() - a string made by printf. */
void vl_jw_stringf(struct vl_jw *w, const char *key, const char *fmt, ...);
/* vl_jw_int() - a signed integer. */
void vl_jw_int(struct vl_jw *w, const char *key, long long v);
/* vl_jw_uint() - an unsigned integer. */
void vl_jw_uint(struct vl_jw *w, const char *key, unsigned long long v);
/* vl_jw_double() - a number with a fraction (non-finite values become null). */
void vl_jw_double(struct vl_jw *w, const char *key, double v);
/* vl_jw_bool() - true or false. */
void vl_jw_bool(struct vl_jw *w, const char *key, bool v);
/* vl_jw_null() - null. */
void vl_jw_null(struct vl_jw *w, const char *key);

/**
 * vl_jw_finish() - end the text with a newline
 * @w: the writer, with every object and array closed
 *
 * Return: 0, or -EINVAL when the calls did not make one valid JSON text.
 */
int vl_jw_finish(struct vl_jw *w);

/**
 * enum vl_json_type - the type of a parsed JSON value
 * @VL_JSON_NULL: null
 * @VL_JSON_BOOL: true or false
 * @VL_JSON_NUMBER: a number
 * @VL_JSON_STRING: a string
 * @VL_JSON_ARRAY: an array
 * @VL_JSON_OBJECT: an object
 */
enum vl_json_type {
	VL_JSON_NULL,
	VL_JSON_BOOL,
	VL_JSON_NUMBER,
	VL_JSON_STRING,
	VL_JSON_ARRAY,
	VL_JSON_OBJECT,
};

/**
 * struct vl_json - a parsed JSON value
 * @type: what it is
 * @boolean: the value of a VL_JSON_BOOL
 * @number: the value of a VL_JSON_NUMBER
 * @is_int: the number was written as an integer that fits @integer
 * @integer: that integer
 * @string: the decoded (UTF-8) text of a VL_JSON_STRING
 * @n: number of items of an array or members of an object
 * @items: the items of an array, or the values of an object's members
 * @keys: the names of an object's members, in order
 */
struct vl_json {
	enum vl_json_type type;
	bool boolean;
	double number;
	bool is_int;
	long long integer;
	char *string;
	size_t n;
	struct vl_json *items;
	char **keys;
};

/**
 * vl_json_parse() - parse one JSON text (RFC 8259, strictly)
 * @text: NUL-terminated text; whitespace may surround the value
 * @out: receives the value, to be freed with vl_json_free()
 * @err_offset: when not NULL, receives the offset of the first error
 *
 * Rejected: trailing commas, leading zeros, bare control characters and
 * invalid escapes in strings, lone surrogates, invalid UTF-8, \u0000,
 * nesting deeper than VL_JSON_MAX_DEPTH, and anything after the value.
 *
 * Return: 0, -EINVAL for text that is not valid JSON, or -ENOMEM.
 */
int vl_json_parse(const char *text, struct vl_json **out, size_t *err_offset);

/**
 * vl_json_free() - free a value from vl_json_parse()
 * @v: the value, or NULL
 */
void vl_json_free(struct vl_json *v);

/**
 * vl_json_get() - a member of an object
 * @obj: the object (anything else gives NULL)
 * @key: the member's name
 *
 * Return: the first member named @key, or NULL.
 */
const struct vl_json *vl_json_get(const struct vl_json *obj, const char *key);

/**
 * vl_json_item() - an item of an array
 * @arr: the array (anything else gives NULL)
 * @i: the index
 *
 * Return: the item, or NULL when @i is out of range.
 */
const struct vl_json *vl_json_item(const struct vl_json *arr, size_t i);

/**
 * vl_json_path() - follow a path of member names and array indexes
 * @v: where to start
 * @path: dot-separated steps, e.g. "sections.0.steps"; digits index arrays
 *
 * Return: the value at the end of the path, or NULL when a step is missing.
 */
const struct vl_json *vl_json_path(const struct vl_json *v, const char *path);

/**
 * vl_json_str() - the text of a string value
 * @v: the value, or NULL
 *
 * Return: the text, or NULL when @v is not a string.
 */
const char *vl_json_str(const struct vl_json *v);

/**
 * vl_json_int() - the value of an integer
 * @v: the value, or NULL
 * @dflt: what to return when @v is not an integer
 *
 * Return: the integer, or @dflt.
 */
long long vl_json_int(const struct vl_json *v, long long dflt);

/**
 * vl_json_is_true() - tell whether a value is the literal true
 * @v: the value, or NULL
 *
 * Return: true only for true.
 */
bool vl_json_is_true(const struct vl_json *v);

#endif /* _VMLAB_JSON_H */
