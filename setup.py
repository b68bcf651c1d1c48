"""Builds and installs the tlshs Python package: `pip install .`

The C extension tlshs._tlshs is made by SWIG from bindings/tlshs.i (through
setuptools' SWIG support) and compiled together with the C written beside it
(bindings/py_*.c) and the C core, csrc/*.c,
against the system's OpenSSL 3 (found with pkg-config when it is there).
Needs swig, a C compiler, the Python headers and OpenSSL's headers.
For a build in place over build/libtlshs.a, use `make python` instead.
"""

import glob
import os
import re
import shlex
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(HERE, "csrc", "tlshs.h"), encoding="utf-8") as f:
        return re.search(r'#define TLSHS_VERSION_STRING "([^"]+)"', f.read()).group(1)


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "openssl"], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out.stdout)


def openssl_flags():
    cflags = pkg_config("--cflags") or []
    libs = pkg_config("--libs") or ["-lssl", "-lcrypto"]
    return {
        "include_dirs": [f[2:] for f in cflags if f.startswith("-I")],
        "library_dirs": [f[2:] for f in libs if f.startswith("-L")],
        "libraries": [f[2:] for f in libs if f.startswith("-l")],
    }


class BuildExt(build_ext):
    """setuptools' SWIG step, with SWIG's unused proxy module sent to build_temp."""

    def swig_sources(self, sources, extension):
        os.makedirs(self.build_temp, exist_ok=True)
        extension.swig_opts = list(extension.swig_opts) + ["-outdir", self.build_temp]
        return super().swig_sources(sources, extension)


ssl = openssl_flags()
ext = Extension(
    "tlshs._tlshs",
    sources=["bindings/tlshs.i"] + sorted(glob.glob("bindings/py_*.c")) + sorted(glob.glob("csrc/*.c")),
    depends=["bindings/tlshs_py.h", "csrc/tlshs.h", "csrc/tlshs_internal.h"],
    swig_opts=["-interface", "_tlshs", "-Icsrc"],
    include_dirs=["csrc", "bindings"] + ssl["include_dirs"],
    library_dirs=ssl["library_dirs"],
    libraries=ssl["libraries"],
    define_macros=[("TLSHS_BUILDING", None), ("_POSIX_C_SOURCE", "200809L")],
    extra_compile_args=["-fvisibility=hidden"],
)

setup(
    name="tlshs",
    version=version(),
    description="A resumable, non-blocking TLS handshake object over OpenSSL",
    long_description=open(os.path.join(HERE, "docs", "python.md"), encoding="utf-8").read()
    if os.path.exists(os.path.join(HERE, "docs", "python.md"))
    else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.8",
    package_dir={"": "python"},
    packages=["tlshs"],
    package_data={"tlshs": ["py.typed", "*.pyi"]},
    ext_modules=[ext],
    entry_points={"console_scripts": ["tlshs = tlshs._cli:main"]},
    cmdclass={"build_ext": BuildExt},
    zip_safe=False,
)
