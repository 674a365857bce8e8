// SPDX-License-Identifier: GPL-2.0
/*
 * A strict JSON parser (RFC 8259) for the tests that read the vmlab tool's
 * --json output (tool_test).  Not part of libvmlab: the tool only writes
 * JSON (userspace/lib/json.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_reader.h"

struct jp {
	const char *s;
	size_t pos;
	int depth;
	int err;
};

static int jp_fail(struct jp *p, int err)
{
	if (!p->err)
		p->err = err;
	return p->err;
}

static void jp_space(struct jp *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	       p->s[p->pos] == '\r')
		p->pos++;
}

static int jp_value(struct jp *p, struct vl_json *v);

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = 0xc0 | (cp >> 6);
		d[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = 0xe0 | (cp >> 12);
		d[1] = 0x80 | ((cp >> 6) & 0x3f);
		d[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	d[0] = 0xf0 | (cp >> 18);
	d[1] = 0x80 | ((cp >> 12) & 0x3f);
	d[2] = 0x80 | ((cp >> 6) & 0x3f);
	d[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The string at p->pos (its opening quote) into a malloc'd *out. */
static int jp_string(struct jp *p, char **out)
{
	const char *s = p->s + p->pos + 1;
	size_t cap = 0, len = 0, n;
	char *d;

	/* Decoded text is never longer than the source. */
	while (s[cap] && s[cap] != '"')
		cap += s[cap] == '\\' && s[cap + 1] ? 2 : 1;
	d = malloc(cap + 1);
	if (!d)
		return jp_fail(p, -ENOMEM);
	for (;;) {
		unsigned char c = *s;
		uint32_t cp, lo;

		if (c == '"')
			break;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			n = vl_utf8_len((const unsigned char *)s);
			if (!n)
				goto bad;
			memcpy(d + len, s, n);
			len += n;
			s += n;
			continue;
		}
		s++;
		switch (*s) {
		case '"':
		case '\\':
		case '/':
			d[len++] = *s;
			break;
		case 'b':
			d[len++] = '\b';
			break;
		case 'f':
			d[len++] = '\f';
			break;
		case 'n':
			d[len++] = '\n';
			break;
		case 'r':
			d[len++] = '\r';
			break;
		case 't':
			d[len++] = '\t';
			break;
		case 'u':
			if (hex4(s + 1, &cp))
				goto bad;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s[1] != '\\' || s[2] != 'u' || hex4(s + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (!cp)
				goto bad;
			len += put_utf8(d + len, cp);
			break;
		default:
			goto bad;
		}
		s++;
	}
	d[len] = '\0';
	p->pos = s + 1 - p->s;
	*out = d;
	return 0;
bad:
	free(d);
	p->pos = s - p->s;
	return jp_fail(p, -EINVAL);
}

static int jp_number(struct jp *p, struct vl_json *v)
{
	const char *start = p->s + p->pos, *s = start;
	bool integer = true;
	char *end;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		goto bad;
	if (*s == '.') {
		integer = false;
		s++;
		if (*s < '0' || *s > '9')
			goto bad;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		integer = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			goto bad;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	v->type = VL_JSON_NUMBER;
	v->number = strtod(start, NULL);
	if (integer) {
		errno = 0;
		v->integer = strtoll(start, &end, 10);
		v->is_int = !errno && end == s;
	}
	p->pos = s - p->s;
	return 0;
bad:
	p->pos = s - p->s;
	return jp_fail(p, -EINVAL);
}

static int jp_literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(p->s + p->pos, word, n))
		return jp_fail(p, -EINVAL);
	p->pos += n;
	return 0;
}

/* Append a zeroed value to an array or object being built; NULL on ENOMEM. */
static struct vl_json *jp_grow(struct jp *p, struct vl_json *v, size_t *cap, bool keys)
{
	if (v->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct vl_json *items = realloc(v->items, ncap * sizeof(*items));
		char **k;

		if (!items) {
			jp_fail(p, -ENOMEM);
			return NULL;
		}
		v->items = items;
		if (keys) {
			k = realloc(v->keys, ncap * sizeof(*k));
			if (!k) {
				jp_fail(p, -ENOMEM);
				return NULL;
			}
			v->keys = k;
		}
		*cap = ncap;
	}
	memset(&v->items[v->n], 0, sizeof(v->items[0]));
	if (keys)
		v->keys[v->n] = NULL;
	return &v->items[v->n++];
}

static int jp_container(struct jp *p, struct vl_json *v, bool object)
{
	char close = object ? '}' : ']';
	size_t cap = 0;

	if (++p->depth > VL_JSON_READ_MAX_DEPTH)
		return jp_fail(p, -EINVAL);
	v->type = object ? VL_JSON_OBJECT : VL_JSON_ARRAY;
	p->pos++;
	jp_space(p);
	if (p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		struct vl_json *item = jp_grow(p, v, &cap, object);

		if (!item)
			return p->err;
		if (object) {
			if (p->s[p->pos] != '"' || jp_string(p, &v->keys[v->n - 1]))
				return jp_fail(p, -EINVAL);
			jp_space(p);
			if (p->s[p->pos] != ':')
				return jp_fail(p, -EINVAL);
			p->pos++;
			jp_space(p);
		}
		if (jp_value(p, item))
			return p->err;
		jp_space(p);
		if (p->s[p->pos] == close)
			break;
		if (p->s[p->pos] != ',')
			return jp_fail(p, -EINVAL);
		p->pos++;
		jp_space(p);
	}
	p->pos++;
	p->depth--;
	return 0;
}

static int jp_value(struct jp *p, struct vl_json *v)
{
	switch (p->s[p->pos]) {
	case '{':
		return jp_container(p, v, true);
	case '[':
		return jp_container(p, v, false);
	case '"':
		v->type = VL_JSON_STRING;
		return jp_string(p, &v->string);
	case 't':
		v->type = VL_JSON_BOOL;
		v->boolean = true;
		return jp_literal(p, "true");
	case 'f':
		v->type = VL_JSON_BOOL;
		return jp_literal(p, "false");
	case 'n':
		v->type = VL_JSON_NULL;
		return jp_literal(p, "null");
	default:
		return jp_number(p, v);
	}
}

static void json_free_members(struct vl_json *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		json_free_members(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
}

void vl_json_free(struct vl_json *v)
{
	if (!v)
		return;
	json_free_members(v);
	free(v);
}

int vl_json_parse(const char *text, struct vl_json **out, size_t *err_offset)
{
	struct jp p = { .s = text };
	struct vl_json *v;

	if (!text || !out)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	jp_space(&p);
	if (!jp_value(&p, v)) {
		jp_space(&p);
		if (p.s[p.pos])
			jp_fail(&p, -EINVAL);
	}
	if (p.err) {
		if (err_offset)
			*err_offset = p.pos;
		vl_json_free(v);
		return p.err;
	}
	*out = v;
	return 0;
}

const struct vl_json *vl_json_get(const struct vl_json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != VL_JSON_OBJECT || !key)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const struct vl_json *vl_json_item(const struct vl_json *arr, size_t i)
{
	if (!arr || arr->type != VL_JSON_ARRAY || i >= arr->n)
		return NULL;
	return &arr->items[i];
}

const struct vl_json *vl_json_path(const struct vl_json *v, const char *path)
{
	char step[128];

	while (v && path && *path) {
		size_t n = strcspn(path, ".");
		char *end;

		if (n >= sizeof(step))
			return NULL;
		memcpy(step, path, n);
		step[n] = '\0';
		path += n + (path[n] == '.');
		if (v->type == VL_JSON_ARRAY) {
			unsigned long i = strtoul(step, &end, 10);

			v = *step && !*end ? vl_json_item(v, i) : NULL;
		} else {
			v = vl_json_get(v, step);
		}
	}
	return v;
}

const char *vl_json_str(const struct vl_json *v)
{
	return v && v->type == VL_JSON_STRING ? v->string : NULL;
}

long long vl_json_int(const struct vl_json *v, long long dflt)
{
	return v && v->type == VL_JSON_NUMBER && v->is_int ? v->integer : dflt;
}

bool vl_json_is_true(const struct vl_json *v)
{
	return v && v->type == VL_JSON_BOOL && v->boolean;
}
