/* test_reports.c: the reports a leak produces, read back by real parsers: attribution in
 * the text and JSON reports, JUnit XML, the SVG chart and the Graphviz graph. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* A leak with a known site and root, a clean target and a failing one. */
static const char leak_py[] =
	"import itertools\n"
	"_ids = itertools.count()\n"
	"SESSIONS = {}\n"
	"class Session:\n"
	"    def __init__(self, n):\n"
	"        self.n = n\n"
	"def work():\n"
	"    n = next(_ids)\n"
	"    SESSIONS[n] = Session(n)\n";  /* line 9: the site */

static char *run_three(const char *opts, int *code)
{
	const char *leak = lgt_write("sessions.py", leak_py);
	const char *fine = lgt_write("fine.py", "def work():\n    return [1, 2, 3]\n");
	char *cmd, *err;

	cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run %s %s:work %s:work "
			   "-c 'raise ValueError(\"boom\")'", opts, leak, fine) > 0);
	*code = lgt_sh(cmd, NULL, &err);
	free(cmd);
	return err;
}

/* Runs a Python check over the scratch directory; returns what it printed. */
static char *python(const char *code)
{
	char *cmd, *out, *err;
	int rc;

	cr_assert(asprintf(&cmd, "cd $T && python3 -c '%s'", code) > 0);
	rc = lgt_sh(cmd, &out, &err);
	cr_assert_eq(rc, 0, "python check failed:\n%s\n%s", code, err);
	free(cmd);
	free(err);
	return out;
}

Test(reports, text_names_type_site_and_root)
{
	int code;
	char *err = run_three("", &code);

	cr_assert_eq(code, 1, "a leak wins over the error: %d\n%s", code, err);
	cr_assert(!strncmp(err, "LEAK  ", 6), "%s", err);
	cr_assert(strstr(err, "\n    sessions.Session "), "type not listed:\n%s", err);
	cr_assert(strstr(err, "sessions.py\", line 9\n"), "site not listed:\n%s", err);
	cr_assert(strstr(err, ": module 'sessions' \u2192 global SESSIONS (dict) \u2192 ["),
		  "root not named:\n%s", err);
	free(err);
}

Test(reports, json_attribution_schema)
{
	int code;
	char *out;

	free(run_three("--report r.json", &code));
	out = python("import json; t = json.load(open(\"r.json\"))[\"targets\"]; "
		     "a = t[0][\"attribution\"]; "
		     "print(t[1][\"attribution\"], t[2][\"attribution\"]); "
		     "g = [x for x in a[\"grew\"] if x[\"type\"] == \"sessions.Session\"][0]; "
		     "print(a[\"iterations\"], g[\"type\"], g[\"per_iteration\"]); "
		     "s = [f for x in a[\"sites\"] for f in x[\"traceback\"] if f[\"line\"] == 9]; "
		     "print(s[0][\"file\"].endswith(\"sessions.py\"), s[0][\"code\"]); "
		     "c = [c for c in a[\"chains\"] if c[\"type\"] == \"sessions.Session\"][0]; "
		     "print(c[\"root_kind\"], c[\"root\"], c[\"links\"][0][\"label\"], c[\"links\"][-1][\"type\"]); "
		     "print(a[\"bounded\"], a[\"error\"])");
	cr_assert_str_eq(out, "None None\n"
			 "5 sessions.Session [1, 1, 1, 1, 1]\n"
			 "True SESSIONS[n] = Session(n)\n"
			 "module module 'sessions' global SESSIONS sessions.Session\n"
			 "None None\n");
	free(out);
}

Test(reports, json_floor_rate)
{
	int code;
	char *out;

	/* The floor's rate, what fails a counter: a Session (and a dict slot) per call
	 * raises it; a clean target's holds; a target that failed before any verdict has
	 * none. */
	free(run_three("--attribute 0 --report r.json", &code));
	out = python("import json; t = json.load(open(\"r.json\"))[\"targets\"]; "
		     "c = t[0][\"counters\"][\"py_blocks\"]; d = t[1][\"counters\"][\"py_blocks\"]; "
		     "print(c[\"floor_rate\"] >= 1, c[\"state\"], d[\"floor_rate\"], d[\"state\"]); "
		     "print([k for k, v in t[2][\"counters\"].items() if \"floor_rate\" in v])");
	cr_assert_str_eq(out, "True growing 0 bounded\n[]\n");
	free(out);
}

Test(reports, attribution_can_be_switched_off)
{
	int code;
	char *err = run_three("--attribute 0 --report r.json", &code), *out;

	cr_assert(!strstr(err, "what grew"), "%s", err);
	out = python("import json; print(json.load(open(\"r.json\"))[\"targets\"][0][\"attribution\"])");
	cr_assert_str_eq(out, "None\n");
	free(out);
	free(err);
}

Test(reports, junit_xml)
{
	int code;
	char *out;

	free(run_three("-q --junit j.xml", &code));
	out = python("import xml.etree.ElementTree as E; r = E.parse(\"j.xml\").getroot(); "
		     "s = r.find(\"testsuite\"); print(r.tag, s.get(\"tests\"), s.get(\"failures\"), s.get(\"errors\")); "
		     "c = s.findall(\"testcase\"); "
		     "f = c[0].find(\"failure\"); print(f.get(\"type\"), f.get(\"message\").startswith(\"LEAK  \"), \"what grew\" in f.text); "
		     "print(c[1].find(\"failure\"), c[1].find(\"error\"), c[1].find(\"system-out\").text.startswith(\"PASS  \")); "
		     "e = c[2].find(\"error\"); print(e.get(\"type\"), \"ValueError: boom\" in e.text)");
	cr_assert_str_eq(out, "testsuites 3 1 1\n"
			 "leak True True\n"
			 "None None True\n"
			 "workload error True\n");
	free(out);
}

Test(reports, svg_chart)
{
	int code;
	char *out;

	free(run_three("-q --plot p.svg", &code));
	out = python("import xml.etree.ElementTree as E; n = \"{http://www.w3.org/2000/svg}\"; "
		     "r = E.parse(\"p.svg\").getroot(); "
		     "t = [x.text for x in r.iter(n + \"text\") if x.get(\"class\") == \"title\"]; "
		     "print(t[0].startswith(\"LEAK\"), \"py_blocks\" in t[0], t[1].startswith(\"PASS\"), t[2].startswith(\"ERROR\")); "
		     "g = [x for x in r.iter(n + \"g\") if x.get(\"id\") == \"py_blocks\"][0]; "
		     "p = g.find(n + \"polyline\").get(\"points\").split(); "
		     "print(len(p) > 20, g.find(n + \"rect[@class=\\\"warmup\\\"]\") is not None, "
		     "g.find(n + \"line[@class=\\\"trend\\\"]\").get(\"stroke\"))");
	cr_assert_str_eq(out, "True True True True\nTrue True #d00\n");
	free(out);
}

Test(reports, graphviz_graph)
{
	int code;
	char *out, *err = run_three("-q --graph g.dot", &code);

	cr_assert_eq(code, 1, "%s", err);
	out = python("d = open(\"g.dot\").read(); "
		     "print(d.startswith(\"digraph leakgate {\"), \"global SESSIONS\" in d, "
		     "d.count(\"subgraph cluster_\")); "
		     "import xml.etree.ElementTree as E; r = E.parse(\"g.svg\").getroot(); "
		     "print(r.tag.endswith(\"svg\"))");
	cr_assert_str_eq(out, "True True 1\nTrue\n");
	free(out);
	free(err);
}

/* Outputs that cannot be written are usage errors, before any target runs. */
Test(reports, unwritable_outputs)
{
	static const char *const opts[] = { "--junit", "--plot", "--graph", "--report" };
	size_t i;

	for (i = 0; i < 4; i++) {
		char *cmd, *err;

		cr_assert(asprintf(&cmd, "$LEAKGATE run %s /nonexistent/dir/x -c pass", opts[i]) > 0);
		cr_assert_eq(lgt_sh(cmd, NULL, &err), 4, "%s", cmd);
		cr_assert(strstr(err, "cannot write") && lgt_lines(err) == 1, "%s: %s", cmd, err);
		free(cmd);
		free(err);
	}
}
