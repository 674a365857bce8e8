// SPDX-License-Identifier: GPL-2.0
/*
 * JSON: a writer for the tool's --json output.  The strict parser the tests
 * read it with is selftests/json_reader.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* The writer. */

void vl_jw_init(struct vl_jw *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Length of the valid UTF-8 sequence at @s, or 0 when it is not one. */
size_t vl_utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Write @s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void jw_quote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20) {
				fprintf(out, "\\u%04x", *p);
				break;
			}
			n = vl_utf8_len(p);
			if (!n) {
				fputs("\\ufffd", out);
				break;
			}
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', out);
}

static void jw_newline(struct vl_jw *w)
{
	int i;

	fputc('\n', w->out);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Start a member: separator, indentation and key; false once in error. */
static bool jw_member(struct vl_jw *w, const char *key)
{
	if (w->error)
		return false;
	if (w->depth == 0 ? key || w->count[0] :
	    (w->kind[w->depth] == '{') != !!key) {
		w->error = -EINVAL;
		return false;
	}
	if (w->count[w->depth]++)
		fputc(',', w->out);
	if (w->depth)
		jw_newline(w);
	if (key) {
		jw_quote(w->out, key);
		fputs(": ", w->out);
	}
	return true;
}

static void jw_open(struct vl_jw *w, const char *key, char kind)
{
	if (!jw_member(w, key))
		return;
	if (w->depth >= VL_JSON_MAX_DEPTH) {
		w->error = -EINVAL;
		return;
	}
	fputc(kind, w->out);
	w->depth++;
	w->kind[w->depth] = kind;
	w->count[w->depth] = 0;
}

void vl_jw_object(struct vl_jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void vl_jw_array(struct vl_jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void vl_jw_end(struct vl_jw *w)
{
	char kind;
	bool empty;

	if (w->error)
		return;
	if (!w->depth) {
		w->error = -EINVAL;
		return;
	}
	kind = w->kind[w->depth];
	empty = !w->count[w->depth];
	w->depth--;
	if (!empty)
		jw_newline(w);
	fputc(kind == '{' ? '}' : ']', w->out);
}

void vl_jw_string(struct vl_jw *w, const char *key, const char *s)
{
	if (!jw_member(w, key))
		return;
	if (s)
		jw_quote(w->out, s);
	else
		fputs("null", w->out);
}

void vl_jw_stringf(struct vl_jw *w, const char *key, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->error = -ENOMEM;
		return;
	}
	vl_jw_string(w, key, s);
	free(s);
}

void vl_jw_int(struct vl_jw *w, const char *key, long long v)
{
	if (jw_member(w, key))
		fprintf(w->out, "%lld", v);
}

void vl_jw_uint(struct vl_jw *w, const char *key, unsigned long long v)
{
	if (jw_member(w, key))
		fprintf(w->out, "%llu", v);
}

void vl_jw_double(struct vl_jw *w, const char *key, double v)
{
	if (!jw_member(w, key))
		return;
	if (isfinite(v))
		fprintf(w->out, "%.6g", v);
	else
		fputs("null", w->out);
}

void vl_jw_bool(struct vl_jw *w, const char *key, bool v)
{
	if (jw_member(w, key))
		fputs(v ? "true" : "false", w->out);
}

void vl_jw_null(struct vl_jw *w, const char *key)
{
	if (jw_member(w, key))
		fputs("null", w->out);
}

int vl_jw_finish(struct vl_jw *w)
{
	if (!w->error && (w->depth || w->count[0] != 1))
		w->error = -EINVAL;
	fputc('\n', w->out);
	fflush(w->out);
	return w->error;
}
