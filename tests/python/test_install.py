"""`pip install .` into a fresh venv builds the extension from the .i file
with SWIG and installs a package that works from outside the source tree.

The tree is copied to a temporary directory first, so the build's litter
never lands in the work tree.  PyPI is not needed (--no-index,
--no-build-isolation: setuptools comes from the system)."""

import os
import shutil
import subprocess
import sys
import textwrap

from conftest import CERTS, ROOT

CHECK = textwrap.dedent("""
    import os, sys
    import tlshs
    here = os.path.dirname(tlshs.__file__)
    assert here.startswith(sys.prefix), (here, sys.prefix)
    for name in ("py.typed", "__init__.pyi"):
        assert os.path.exists(os.path.join(here, name)), name
    certs = sys.argv[1]
    ccfg = tlshs.Config("client", ca_file=os.path.join(certs, "ca.pem"))
    scfg = tlshs.Config("server", cert_file=os.path.join(certs, "server-ec.pem"),
                        key_file=os.path.join(certs, "server-ec.key"))
    with tlshs.Handshake(ccfg, server_name="localhost") as c, tlshs.Handshake(scfg) as s:
        rc = rs = None
        for _ in range(100):
            rc = c.step()
            s.feed(c.take())
            rs = s.step()
            c.feed(s.take())
            if rc == tlshs.DONE and rs == tlshs.DONE and not c.pending and not s.pending:
                break
        assert (rc, rs) == (tlshs.DONE, tlshs.DONE), (rc, rs, c.error, s.error)
        print("installed", tlshs.__version__, c.version, here)
""")


def run(cmd, cwd, env, timeout):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, f"{cmd} failed:\n{out[-4000:]}"
    return out


def test_pip_install_into_venv(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        "build", ".git", "*.so", "__pycache__", "*.egg-info", "*_wrap.c", ".pytest_cache"))
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    base = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    run([base, "-m", "venv", "--system-site-packages", str(venv)], tmp_path, env, 120)
    py = str(venv / "bin" / "python")
    run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", str(src)],
        tmp_path, env, 600)
    out = run([py, "-c", CHECK, os.path.abspath(CERTS)], tmp_path, env, 60)
    assert "installed" in out and "TLSv1.3" in out and str(venv) in out
    # The console script setup.py declares (the command line, tlshs(1)).
    out = run([str(venv / "bin" / "tlshs"), "--help"], tmp_path, env, 60)
    assert "probe" in out and "serve" in out
    out = run([str(venv / "bin" / "tlshs"), "probe", "--help"], tmp_path, env, 60)
    assert "--ca-file" in out and "--status-request" in out
    out = run([str(venv / "bin" / "tlshs"), "serve", "--help"], tmp_path, env, 60)
    assert "--ca-file" in out and "--self-signed" in out
