"""Writes a wheel of lgvenvpkg into the directory given, so that pip installs it with no
network and no build backend (venvs of 3.12+ have no setuptools).

    python tests/venvpkg/wheel.py OUTDIR    -> OUTDIR/lgvenvpkg-1.0-py3-none-any.whl
"""

import base64
import hashlib
import os
import sys
import zipfile

NAME, VERSION = "lgvenvpkg", "1.0"
HERE = os.path.dirname(os.path.abspath(__file__))


def digest(data):
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + h.decode()


def main(outdir):
    info = "%s-%s.dist-info" % (NAME, VERSION)
    with open(os.path.join(HERE, NAME, "__init__.py"), "rb") as f:
        files = {NAME + "/__init__.py": f.read()}
    files[info + "/METADATA"] = (
        "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (NAME, VERSION)).encode()
    files[info + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: leakgate-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n").encode()
    record = "".join("%s,%s,%d\n" % (p, digest(d), len(d)) for p, d in files.items())
    files[info + "/RECORD"] = (record + info + "/RECORD,,\n").encode()
    path = os.path.join(outdir, "%s-%s-py3-none-any.whl" % (NAME, VERSION))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            z.writestr(p, d)
    print(path)


if __name__ == "__main__":
    main(sys.argv[1])
