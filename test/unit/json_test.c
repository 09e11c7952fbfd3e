/* json_test.c: the JSON reader accepts what RFC 8259 allows and rejects the rest, cleanly. */
#include <stdio.h>
#include <string.h>

#include "varformer/common/json.h"

static int	failures = 0;

static void
expect_ok(const char *text, const char *what)
{
	VfError		err;
	VfJsonDoc  *d = vf_json_parse(text, strlen(text), &err);

	if (d == NULL)
	{
		printf("FAIL accept %s: %s\n", what, err.msg);
		failures++;
	}
	vf_json_free(d);
}

static void
expect_bad(const char *text, size_t len, const char *what)
{
	VfError		err;
	VfJsonDoc  *d = vf_json_parse(text, len, &err);

	if (d != NULL || err.code != VF_ERR_SYNTAX)
	{
		printf("FAIL reject %s\n", what);
		failures++;
	}
	vf_json_free(d);
}

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

int
main(void)
{
	VfError		err;
	const char *t = "{\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {\"c\": 9007199254740993}}";
	VfJsonDoc  *d = vf_json_parse(t, strlen(t), &err);
	const VfJson *r, *a;
	char		deep[600];

	CHECK(d != NULL);
	r = vf_json_root(d);
	a = vf_json_get(r, "a");
	CHECK(a && a->type == VF_JSON_ARRAY && a->len == 5);
	CHECK(a->items[0].is_integer && a->items[0].integer == 1);
	CHECK(a->items[1].number == -2500.0 && !a->items[1].is_integer);
	CHECK(a->items[2].type == VF_JSON_BOOL && a->items[2].boolean);
	CHECK(a->items[3].type == VF_JSON_NULL);
	CHECK(strcmp(a->items[4].str, "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0);
	CHECK(vf_json_get_int(vf_json_get(r, "b"), "c", 0) == 9007199254740993LL);
	CHECK(vf_json_get(r, "zz") == NULL);
	CHECK(strcmp(vf_json_get_string(r, "zz", "dflt"), "dflt") == 0);
	vf_json_free(d);

	expect_ok("[]", "empty array");
	expect_ok(" {} ", "empty object with spaces");
	expect_ok("\xEF\xBB\xBF{}", "BOM");
	expect_bad("", 0, "empty input");
	expect_bad("{", 1, "unterminated object");
	expect_bad("[1,]", 4, "trailing comma");
	expect_bad("{\"a\" 1}", 7, "missing colon");
	expect_bad("\"abc", 4, "unterminated string");
	expect_bad("\"a\\", 3, "backslash at end");
	expect_bad("\"\\ud800\"", 8, "lone high surrogate");
	expect_bad("\"\\udc00\"", 8, "lone low surrogate");
	expect_bad("\"\\u12\"", 6, "short \\u");
	expect_bad("01", 2, "leading zero");
	expect_bad("1e999", 5, "overflow");
	expect_bad("-", 1, "bare minus");
	expect_bad("[1] x", 5, "trailing garbage");
	expect_bad("tru", 3, "truncated literal");
	expect_bad("\"a\x01\"", 4, "control char");
	expect_bad("[1\0]", 4, "embedded NUL");
	memset(deep, '[', sizeof(deep));
	expect_bad(deep, sizeof(deep), "nesting deeper than the limit");

	printf("%s\n", failures ? "json_test: FAILED" : "json_test: ok");
	return failures ? 1 : 0;
}
