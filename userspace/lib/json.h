/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON: a writer for the tool's --json output (the tests' parser is
 * selftests/json_reader.h).
 */
#ifndef _VMLAB_JSON_H
#define _VMLAB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Deepest nesting the writer accepts. */
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

/**
 * vl_utf8_len() - length of the valid UTF-8 sequence at @s
 * @s: the bytes, NUL-terminated
 *
 * Return: 1 to 4, or 0 when @s does not start with a valid sequence.
 */
size_t vl_utf8_len(const unsigned char *s);

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

#endif /* _VMLAB_JSON_H */
