"""leakgate's PEP 517 build backend: `pip install .` runs the project's Makefile for the
interpreter running pip and packs what `make install` would install into a wheel, laid
out the way harness/paths.c finds it from the executable (PREFIX is the environment):

    bin/leakgate                      the wheel's scripts (pip keeps the executable bit)
    lib/leakgate/leakgate-gdb.so      the wheel's data, installed under sys.prefix
    share/leakgate/                   leakgate.gdb, leakgate.supp, leakgate.mk
    share/man/man1/leakgate.1

The C library (libleakgate.a, leakgate.h, leakgate.pc) is left to make install: a .pc
names its prefix, which a wheel does not know. Standard library only.
"""

import base64
import fcntl
import hashlib
import io
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "leakgate"
SUMMARY = "A CI gate for memory leaks in Python code and C extensions"


def _version():
    with open(os.path.join(ROOT, "include", "leakgate.h")) as f:
        m = re.search(r'^#define LG_VERSION "([^"]+)"', f.read(), re.M)
    if not m:
        raise RuntimeError("include/leakgate.h defines no LG_VERSION")
    return m.group(1)


def _tag():
    """The wheel's tag: this interpreter and platform. The binary embeds this CPython
    (it links its libpython by absolute path), so it fits nothing else."""
    v = "cp%d%d" % sys.version_info[:2]
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s%s-%s" % (v, v, sys.abiflags, plat)


def _make(build):
    """make all for this interpreter in a build directory of the wheel's own, so that it
    never races a developer's build/py<TAG>/. PREFIX only reaches the man page."""
    cmd = ["make", "--no-print-directory", "-C", ROOT, "all", "PYTHON=" + sys.executable,
           "BUILD=" + build, "PREFIX=" + sys.prefix]
    env = dict(os.environ)
    for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):  # pip may run under make
        env.pop(var, None)
    os.makedirs(os.path.join(ROOT, build), exist_ok=True)
    # One build at a time in that directory (two pip installs at once, say).
    lock = open(os.path.join(ROOT, build, ".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
    except FileNotFoundError:
        raise RuntimeError("leakgate's build needs make and a C compiler "
                           "(Debian: ci/install-deps.sh installs them)")
    except subprocess.CalledProcessError as e:
        raise RuntimeError("%s failed (exit %d): see make's output above"
                           % (" ".join(cmd), e.returncode))
    finally:
        lock.close()


def _digest(data):
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + h.decode()


def _metadata(version):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n"
            "Requires-Python: >=3.8\n" % (NAME, version, SUMMARY))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version, tag = _version(), _tag()
    build = os.path.join("build", "pip", "py%s%s" % (sys.version.split()[0], sys.abiflags))
    _make(build)
    b = os.path.join(ROOT, build)
    data = "%s-%s.data" % (NAME, version)
    info = "%s-%s.dist-info" % (NAME, version)
    # (path in the wheel, file, executable)
    files = [
        (data + "/scripts/leakgate", os.path.join(b, "leakgate"), True),
        (data + "/data/lib/leakgate/leakgate-gdb.so", os.path.join(b, "leakgate-gdb.so"), False),
        (data + "/data/share/leakgate/leakgate.gdb", os.path.join(ROOT, "gdb", "leakgate.gdb"), False),
        (data + "/data/share/leakgate/leakgate.supp", os.path.join(ROOT, "share", "leakgate.supp"), False),
        (data + "/data/share/leakgate/leakgate.mk", os.path.join(ROOT, "share", "leakgate.mk"), False),
        (data + "/data/share/leakgate/leakgate-report.schema.json",
         os.path.join(ROOT, "share", "leakgate-report.schema.json"), False),
        (data + "/data/share/man/man1/leakgate.1", os.path.join(b, "leakgate.1"), False),
        # The pytest plugin that registers leakgate's markers (its pytest11 entry point).
        ("pytest_leakgate.py", os.path.join(ROOT, "share", "pytest-plugin", "pytest_leakgate.py"), False),
    ]
    meta = [
        (info + "/METADATA", _metadata(version).encode()),
        (info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: leakgate_build\n"
                           "Root-Is-Purelib: false\nTag: %s\n" % tag).encode()),
        (info + "/entry_points.txt", b"[pytest11]\nleakgate = pytest_leakgate\n"),
    ]
    name = "%s-%s-%s.whl" % (NAME, version, tag)
    path = os.path.join(wheel_directory, name)
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, src, exe in files:
            with open(src, "rb") as f:
                content = f.read()
            zi = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = (0o100755 if exe else 0o100644) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, content)
            record.append("%s,%s,%d\n" % (arc, _digest(content), len(content)))
        for arc, content in meta:
            z.writestr(zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0)), content)
            record.append("%s,%s,%d\n" % (arc, _digest(content), len(content)))
        record.append(info + "/RECORD,,\n")
        z.writestr(zipfile.ZipInfo(info + "/RECORD", date_time=(1980, 1, 1, 0, 0, 0)),
                   "".join(record))
    return name


# The source distribution: the tree as it is, less what builds and tests leave.
_SKIP_DIRS = {".git", "build", "__pycache__", "leakgate-results"}
_SKIP_FILES = re.compile(r"(\.(o|so|d|pyc)|^core(\..*)?)$")


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for f in sorted(filenames):
                if f in _SKIP_DIRS or _SKIP_FILES.search(f):  # a worktree's .git is a file
                    continue
                full = os.path.join(dirpath, f)
                t.add(full, arcname=os.path.join(base, os.path.relpath(full, ROOT)),
                      recursive=False)
        info = tarfile.TarInfo(base + "/PKG-INFO")
        content = _metadata(_version()).encode()
        info.size = len(content)
        t.addfile(info, io.BytesIO(content))
    return name
