"""Builds the wheel of leakgate's pytest plugin: mkwheel.py SOURCE_DIR VERSION OUT_DIR.
A wheel is a zip of the module and its .dist-info (PEP 427, PEP 376); pip installs it
with no build backend and no network. Prints the wheel's path."""
import base64
import hashlib
import os
import sys
import zipfile

NAME = 'pytest_leakgate'


def digest(data):
    return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()


def main(src, version, out):
    info = '%s-%s.dist-info' % (NAME, version)
    files = {
        NAME + '.py': open(os.path.join(src, NAME + '.py'), 'rb').read(),
        info + '/METADATA': ('Metadata-Version: 2.1\nName: pytest-leakgate\nVersion: %s\n'
                             'Summary: Registers leakgate\'s pytest markers (no_leak_check, '
                             'leakgate)\nLicense: same as leakgate\n'
                             'Classifier: Framework :: Pytest\n' % version).encode(),
        info + '/WHEEL': b'Wheel-Version: 1.0\nGenerator: leakgate mkwheel.py\n'
                         b'Root-Is-Purelib: true\nTag: py3-none-any\n',
        info + '/entry_points.txt': ('[pytest11]\nleakgate = %s\n' % NAME).encode(),
    }
    record = ''.join('%s,%s,%d\n' % (n, digest(d), len(d)) for n, d in sorted(files.items()))
    files[info + '/RECORD'] = (record + info + '/RECORD,,\n').encode()
    path = os.path.join(out, '%s-%s-py3-none-any.whl' % (NAME, version))
    tmp = path + '.tmp'
    with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as z:
        for n in sorted(files):
            zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            zi.external_attr = 0o644 << 16
            z.writestr(zi, files[n], zipfile.ZIP_DEFLATED)
    os.replace(tmp, path)
    print(path)


if __name__ == '__main__':
    main(*sys.argv[1:4])
