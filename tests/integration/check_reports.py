# check_reports.py: reads back every report an integration test made, with real consumers:
# JSON reports are validated against share/leakgate-report.schema.json (jsonschema), JUnit
# files are read by junitparser, SVG charts by a strict XML parser; all must be valid UTF-8.
# Usage: /usr/bin/python3 check_reports.py SCHEMA FILE...   Prints one line per bad file;
# exits 1 if any.
import json
import sys
import xml.etree.ElementTree as ET

import jsonschema
import junitparser


def check_json(path, data, validator):
    doc = json.loads(data.decode('utf-8'))
    if not isinstance(doc, dict) or 'leakgate' not in doc:
        return  # not a leakgate report
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise ValueError('schema: %s at %s' % (e.message[:300], '/'.join(map(str, e.absolute_path))))


def check_junit(path):
    xml = junitparser.JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, junitparser.TestSuite) else list(xml)
    for s in suites:
        cases = list(s)
        counts = {'failures': 0, 'errors': 0, 'skipped': 0}
        for c in cases:
            for r in c.result:
                if isinstance(r, junitparser.Failure):
                    counts['failures'] += 1
                elif isinstance(r, junitparser.Error):
                    counts['errors'] += 1
                elif isinstance(r, junitparser.Skipped):
                    counts['skipped'] += 1
            if not c.classname or not c.name:
                raise ValueError('testcase without classname or name')
        got = {'tests': s.tests, 'failures': s.failures, 'errors': s.errors,
               'skipped': s.skipped}
        want = dict(counts, tests=len(cases))
        if got != want:
            raise ValueError('suite %r counts %s, its testcases %s' % (s.name, got, want))


def main():
    schema = json.load(open(sys.argv[1], encoding='utf-8'))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        try:
            data = open(path, 'rb').read()
            if path.endswith('.json'):
                if b'"leakgate"' not in data or b'"targets"' not in data:
                    continue  # some other program's JSON
                check_json(path, data, validator)
                continue
            data.decode('utf-8')  # strict: invalid UTF-8 raises
            if path.endswith('.svg'):
                ET.fromstring(data)
            elif path.endswith('.xml') and b'<testsuite' in data:
                ET.fromstring(data)
                check_junit(path)
        except Exception as e:
            print('%s: %s: %s' % (path, type(e).__name__, e))
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main())
