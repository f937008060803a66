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

/* The JSON Schema every report is checked against, from the source tree. */
#define SCHEMA "'\"$OLDPWD\"'/share/leakgate-report.schema.json"

static char *run_three(const char *opts, int *code)
{
	const char *leak = lgt_write("sessions.py", leak_py);
	const char *fine = lgt_write("fine.py", "def work():\n    return [1, 2, 3]\n");
	char *cmd, *out;

	cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run %s %s:work %s:work "
			   "-c 'raise ValueError(\"boom\")'", opts, leak, fine) > 0);
	*code = lgt_sh(cmd, &out, NULL);
	free(cmd);
	return out;
}

/* Runs a Python check over the scratch directory; returns what it printed. */
static char *python(const char *code)
{
	char *cmd, *out, *err;
	int rc;

	cr_assert(asprintf(&cmd, "cd $T && /usr/bin/python3 -c '%s'", code) > 0);
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

/* The chart leads with what failed: the leak, then the error with its exception, then
 * an index of the passing targets, one row each (no panels); axes carry ticks in the
 * counter's unit. This is what a person looking at the rendered chart must see
 * (ci/render-plot.sh renders it in headless Chromium). */
Test(reports, svg_chart)
{
	int code;
	char *out;

	free(run_three("-q --plot p.svg", &code));
	out = python("import xml.etree.ElementTree as E; n = \"{http://www.w3.org/2000/svg}\"; "
		     "r = E.parse(\"p.svg\").getroot(); "
		     "txt = lambda x: \" \".join(x.itertext()); "
		     "order = [(x.get(\"class\"), txt(x)) for x in r.iter(n + \"text\") "
		     "if x.get(\"class\") in (\"summary\", \"title\", \"why\", \"index\", \"row\")]; "
		     "print([(c, t.split()[0]) for c, t in order]); "
		     "print(order[0][1]); print(\"py_blocks\" in order[1][1], order[5][1]); "
		     "print(\"fine.py:work\" in order[-1][1]); "
		     "f = [g for g in r.iter(n + \"g\") if g.get(\"class\") == \"target failing\"]; "
		     "p = [g for g in r.iter(n + \"g\") if g.get(\"class\") == \"target passing\"]; "
		     "print(len(f), len(p), len(list(p[0].iter(n + \"g\"))), "
		     "int(r.get(\"height\")) < 1000); "
		     "g = [x for x in f[0].iter(n + \"g\") if x.get(\"id\") == \"py_blocks\"][0]; "
		     "pts = g.find(n + \"polyline\").get(\"points\").split(); "
		     "print(len(pts) > 20, g.find(n + \"rect[@class=\\\"warmup\\\"]\") is not None, "
		     "g.find(n + \"line[@class=\\\"trend\\\"]\").get(\"stroke\")); "
		     "yt = lambda gid: [x.text for x in f[0].iter(n + \"g\") if x.get(\"id\") == gid][0:1] and "
		     "[t.text for x in f[0].iter(n + \"g\") if x.get(\"id\") == gid "
		     "for t in x.iter(n + \"text\") if t.get(\"class\") == \"ytick\"]; "
		     "b, y = yt(\"py_blocks\"), yt(\"py_bytes\"); "
		     "print(len(b) >= 3, len(y) >= 3, all(t.endswith((\" B\", \" KiB\", \" MiB\")) for t in y), "
		     "len(set(b)) == len(b), len(set(y)) == len(y)); "
		     "print(all(x.text.isdigit() for x in g.iter(n + \"text\") if x.get(\"class\") == \"xtick\"), "
		     "[x.text for x in g.iter(n + \"text\") if x.get(\"class\") == \"yunit\"])");
	cr_assert_str_eq(out, "[(\'summary\', \'leakgate:\'), (\'title\', \'LEAK\'), "
			 "(\'title\', \'ERROR\'), (\'why\', \'Traceback\'), "
			 "(\'why\', \'File\'), (\'why\', \'ValueError:\'), "
			 "(\'index\', \'Passing\'), (\'row\', \'PASS\')]\n"
			 "leakgate: 3 targets: 1 leak, 1 error, 1 passed\n"
			 "True ValueError: boom\n"
			 "True\n"
			 "2 1 1 True\n"
			 "True True #d00\n"
			 "True True True True True\n"
			 "True [\'blocks\']\n");
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

/* Verdict lines and reports on stdout; leakgate's own diagnostics (-v notes, the core
 * line, errors) on stderr, each line of it prefixed "leakgate: ". */
Test(reports, verdicts_on_stdout_diagnostics_on_stderr)
{
	const char *leak = lgt_write("sessions.py", leak_py);
	char *cmd, *out, *err, *p;

	cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run -vv %s:work -c pass", leak) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, &err), 1);
	cr_assert(!strncmp(out, "LEAK  ", 6) && strstr(out, "\nPASS  -c  ("), "%s", out);
	cr_assert(strstr(out, "what grew") && !strstr(out, "leakgate: "), "%s", out);
	cr_assert(strstr(err, "leakgate: -c: iteration 3 "), "-vv: each iteration:\n%s", err);
	for (p = err; *p; p += strcspn(p, "\n") + 1)
		cr_assert(!strncmp(p, "leakgate: ", 10), "not a diagnostic line:\n%s", err);
	free(cmd);
	free(out);
	free(err);
}

/* --report - writes the JSON report to stdout, alone; the verdict lines go to stderr. */
Test(reports, report_to_stdout)
{
	char *out;

	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q -n 20 -w 2 --report - -c pass -c 1 "
			    ">r.out 2>r.err", NULL, NULL), 0);
	out = python("import json; d = json.load(open(\"r.out\")); "
		     "print(len(d[\"targets\"]), open(\"r.err\").read().count(\"PASS  -c\"))");
	cr_assert_str_eq(out, "2 2\n");
	free(out);
}

/* Occurrences of needle in s. */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* The verdict word in colour with --color=always, or on a terminal unless NO_COLOR is
 * set; never in a pipe or with --color=never. */
Test(reports, colour)
{
	char *out;

	cr_assert_eq(lgt_sh("$LEAKGATE run -q -n 20 -w 2 --color=always -c pass", &out, NULL), 0);
	cr_assert(!strncmp(out, "\033[32mPASS\033[0m  -c  (", 17), "%s", out);
	free(out);
	cr_assert_eq(lgt_sh("$LEAKGATE run -q -n 20 -w 2 -c pass", &out, NULL), 0);
	cr_assert(!strncmp(out, "PASS  -c  (", 11), "a pipe gets no colour: %s", out);
	free(out);
	/* util-linux's script gives each run a terminal, of a TERM with colour whatever the
	 * caller's is (TERM=dumb turns colour off by design). */
	cr_assert_eq(lgt_sh("export TERM=xterm; "
			    "script -qec '$LEAKGATE run -q -n 20 -w 2 -c 1' /dev/null; "
			    "NO_COLOR=1 script -qec '$LEAKGATE run -q -n 20 -w 2 -c 2' /dev/null; "
			    "script -qec '$LEAKGATE run -q -n 20 -w 2 --color=never -c 3' /dev/null",
			    &out, NULL), 0);
	cr_assert_eq(count(out, "  -c  ("), 3, "%s", out);
	cr_assert_eq(count(out, "\033[32mPASS\033[0m  -c  ("), 1,
		     "colour on a terminal, not with NO_COLOR or --color=never: %s", out);
	free(out);
	/* A leak within the baseline is KNOWN, a verdict word of its own. */
	lgt_write("grow.py", "L = []\ndef work():\n    L.append(object())\n");
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q -w 10 --window 10 --attribute 0 "
			    "--baseline b.txt --update-baseline grow.py:work >/dev/null && "
			    "$LEAKGATE run -q -w 10 --window 10 --attribute 0 --color=always "
			    "--baseline b.txt grow.py:work", &out, NULL), 0);
	cr_assert(!strncmp(out, "\033[36mKNOWN\033[0m grow.py:work  py_blocks ", 39), "%s", out);
	free(out);
}

/* GitHub Actions: an ::error annotation at the leak's allocation site, its path relative
 * to the workspace, and one for a failing workload; none outside Actions. */
Test(reports, github_annotations)
{
	int code;
	char *out;

	free(run_three("-q", &code));
	cr_assert_eq(lgt_sh("cd $T && GITHUB_ACTIONS=true GITHUB_WORKSPACE=$T $LEAKGATE run -q "
			    "sessions.py:work fine.py:work -c 'raise ValueError(\"boom\")'",
			    &out, NULL), 1);
	cr_assert_eq(count(out, "::error "), 2, "%s", out);
	/* The largest site's innermost frame: the Session (line 9), or where its instance
	 * dict, made at the first attribute store (line 6), is the larger site (CPython 3.8
	 * to 3.10 in the test matrix). */
	cr_assert(strstr(out, "\n::error file=sessions.py,line=9,title=leakgate leak::LEAK  "
			 "sessions.py:work  py_blocks +") ||
		  strstr(out, "\n::error file=sessions.py,line=6,title=leakgate leak::LEAK  "
			 "sessions.py:work  py_blocks +"), "%s", out);
	cr_assert(strstr(out, "%0A  where it was allocated"), "%s", out);
	cr_assert(strstr(out, "\n::error title=leakgate workload error::ERROR -c  failed in "
			 "iteration 1"), "%s", out);
	free(out);
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q sessions.py:work", &out, NULL), 1);
	cr_assert(!strstr(out, "::error"), "%s", out);
	free(out);
}

/* A leak held by C: the graph shows the leaked objects (type, value, how many) and where
 * they were allocated, not only the "outside any Python object" root. */
Test(reports, graph_of_a_leak_held_by_c)
{
	char *out;

	lgt_write("cheld.py", "import ctypes\n"
		  "def work():\n"
		  "    o = (\"session\", object())\n"
		  "    ctypes.pythonapi.Py_IncRef(ctypes.py_object(o))\n");
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q --graph g.dot cheld.py:work", NULL, NULL), 1);
	out = python("import re; d = open(\"g.dot\").read(); "
		     "leak = [l for l in d.splitlines() if \"_leak [\" in l]; "
		     "print(len(leak) >= 1, any(\"tuple\\\\n\" in l for l in leak), "
		     "any(re.search(r\"\\\\n[0-9]+ made in 5 calls, alive\", l) for l in leak), "
		     "\"session\" in \"\".join(leak)); "
		     "print(\"allocated at cheld.py:3\" in d, \"held from C\" in d)");
	cr_assert_str_eq(out, "True True True True\nTrue True\n");
	free(out);
}

/* A long chain through long names lays out top to bottom with wrapped labels: the
 * rendered graph stays narrower than a screen. */
Test(reports, graph_of_a_long_chain_fits_a_screen)
{
	char *out;

	lgt_write("deep.py", "class Holder_with_a_rather_long_descriptive_name:\n"
		  "    pass\n"
		  "ROOT = Holder_with_a_rather_long_descriptive_name()\n"
		  "node = ROOT\n"
		  "for i in range(8):\n"
		  "    nxt = Holder_with_a_rather_long_descriptive_name()\n"
		  "    setattr(node, \"attribute_with_a_long_name_number_%d\" % i, nxt)\n"
		  "    node = nxt\n"
		  "node.items_kept_forever_for_debugging_purposes = []\n"
		  "del node, nxt\n"
		  "def work():\n"
		  "    n = ROOT\n"
		  "    for i in range(8):\n"
		  "        n = getattr(n, \"attribute_with_a_long_name_number_%d\" % i)\n"
		  "    n.items_kept_forever_for_debugging_purposes.append(object())\n");
	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q --graph deep.dot deep.py:work", NULL, NULL),
		     1);
	out = python("import xml.etree.ElementTree as E; d = open(\"deep.dot\").read(); "
		     "r = E.parse(\"deep.svg\").getroot(); w = float(r.get(\"width\").rstrip(\"pt\")); "
		     "print(d.count(\"attribute_with_a_long\") >= 8, \"rankdir=TB\" in d, w < 800, "
		     "d.count(\" -> \") >= 10)");
	cr_assert_str_eq(out, "True True True True\n");
	free(out);
}

/* JUnit read by a real consumer (junitparser): two projects' targets of the same name stay
 * apart, grouped by module as pytest's --junitxml groups them, in the suite named. */
Test(reports, junit_read_by_junitparser)
{
	char *out;

	cr_assert_eq(lgt_sh("cd $T && mkdir -p p1 p2 && printf \"X = []\\ndef work():\\n"
			    "    X.append(object())\\n\" > p1/t.py && "
			    "printf \"def work():\\n    pass\\n\" > p2/t.py && "
			    "$LEAKGATE run -q --junit j.xml --junit-suite myproject p1/t.py:work "
			    "$T/p2/t.py:work -c pass", NULL, NULL), 1);
	out = python("import junitparser as J; x = J.JUnitXml.fromfile(\"j.xml\"); "
		     "s = list(x)[0]; print(s.name, s.tests, s.failures, s.errors, s.skipped, "
		     "bool(s.timestamp), bool(s.hostname)); "
		     "[print(c.classname, c.name, c.time > 0, [type(r).__name__ for r in c.result]) "
		     "for c in s]");
	cr_assert_str_eq(out, "myproject 3 1 0 0 True True\n"
			 "p1.t work True ['Failure']\n"
			 "p2.t work True []\n"
			 "myproject -c True []\n");
	free(out);
}

/* The schema check that every test's reports go through can fail: a report with a
 * verdict the schema does not list, or a float in a series, is rejected. */
Test(reports, schema_rejects_undocumented_values)
{
	char *out;

	cr_assert_eq(lgt_sh("cd $T && $LEAKGATE run -q -n 20 -w 2 --report r.json -c pass",
			    NULL, NULL), 0);
	out = python("import json, jsonschema; s = json.load(open(\"" SCHEMA "\")); "
		     "r = json.load(open(\"r.json\")); jsonschema.validate(r, s); "
		     "t = r[\"targets\"][0]; "
		     "bad = [dict(t, verdict=\"maybe\"), dict(t, skip=\"why\"), "
		     "dict(t, counters=dict(t[\"counters\"], py_blocks=dict("
		     "t[\"counters\"][\"py_blocks\"], series=[1.5])))]; "
		     "v = jsonschema.Draft202012Validator(s); "
		     "print([v.is_valid(dict(r, targets=[b])) for b in bad])");
	cr_assert_str_eq(out, "[False, False, False]\n");
	free(out);
}

/* A file name that is not UTF-8 still names its file, and an exception message with a
 * lone surrogate keeps its traceback; every report stays valid (the check every report
 * goes through reads them strictly). */
Test(reports, non_utf8_names_and_lone_surrogates)
{
	char *out, *err;

	cr_assert_eq(lgt_sh("cd $T && f=$(printf \"bad\\377.py\") && "
			    "printf \"def work():\\n    raise ValueError(chr(0xd800))\\n\" > \"$f\" && "
			    "$LEAKGATE run --report r.json --junit j.xml --plot p.svg \"$f:work\"",
			    &err, NULL), 2);
	cr_assert(strstr(err, "ValueError: \\ud800\n"), "%s", err);
	out = python("import json; t = json.load(open(\"r.json\"))[\"targets\"][0]; "
		     "print(t[\"target\"], t[\"error\"][\"iteration\"], "
		     "t[\"error\"][\"message\"].splitlines()[-1])");
	cr_assert_str_eq(out, "bad\ufffd.py:work 1 ValueError: \\ud800\n");
	free(out);
	free(err);
}

/* A site's source line reads as the interpreter reads the file: here Latin-1, as its
 * coding comment says, whether attribution reads it itself (the workload never loaded
 * linecache) or through the workload's linecache. */
Test(reports, site_lines_decoded_as_their_source_says)
{
	static const char body[] =
		"KEPT = []\n"
		"def work():\n"
		"    KEPT.append(['caf\xe9 cr\xe8me', 1])\n";  /* line 4 of the files below */
	static const char *const heads[] = { "", "import linecache\n" };
	size_t i;

	for (i = 0; i < 2; i++) {
		char *src, *cmd, *out;
		const char *f;

		cr_assert(asprintf(&src, "# -*- coding: latin-1 -*-\n%s%s", heads[i], body) > 0);
		f = lgt_write(i ? "lat1_cached.py" : "lat1.py", src);
		cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run %s:work", f) > 0);
		cr_assert_eq(lgt_sh(cmd, &out, NULL), 1, "%s", out);
		cr_assert(strstr(out, i ? "lat1_cached.py\", line 5\n" : "lat1.py\", line 4\n"),
			  "%s", out);
		cr_assert(strstr(out, "\n        KEPT.append(['caf\u00e9 cr\u00e8me', 1])\n"),
			  "the site's line is not decoded as Latin-1:\n%s", out);
		free(src);
		free(cmd);
		free(out);
	}
}

/* A workload that traces allocations itself keeps tracing, and attribution compares its
 * traces with a baseline of its own: the leak's site, not what was traced before. */
Test(reports, sites_of_a_workload_that_traces_already)
{
	const char *f = lgt_write("traces.py",
		"import tracemalloc\n"
		"EARLY = [bytearray(64) for _ in range(50)]\n"
		"KEPT = []\n"
		"def setup():\n"
		"    tracemalloc.start(5)\n"
		"def work():\n"
		"    assert tracemalloc.is_tracing()\n"
		"    KEPT.append([object()])\n");   /* line 8 */
	char *cmd, *out;

	cr_assert(asprintf(&cmd, "cd $T && $LEAKGATE run %s:work", f) > 0);
	cr_assert_eq(lgt_sh(cmd, &out, NULL), 1, "%s", out);
	cr_assert(strstr(out, "where it was allocated"), "%s", out);
	cr_assert(strstr(out, "traces.py\", line 8\n        KEPT.append([object()])\n"),
		  "%s", out);
	cr_assert(!strstr(out, "line 2\n"), "a trace from before the calls is listed:\n%s", out);
	free(cmd);
	free(out);
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
