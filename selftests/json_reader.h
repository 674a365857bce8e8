/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict JSON parser (RFC 8259) for the tests that read the vmlab tool's
 * --json output (tool_test); selftests/json_reader.c.
 */
#ifndef _VMLAB_JSON_READER_H
#define _VMLAB_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting the parser accepts (the tool's writer: 32 too). */
#define VL_JSON_READ_MAX_DEPTH	32

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

#endif /* _VMLAB_JSON_READER_H */
