"""The gallery examples/faults/*.py, each run with its outcome asserted:
between two tlshs objects (pair) and, where the fault concerns a server,
through drive against `openssl s_server` and `gnutls-serv` on 127.0.0.1
(the answers each real stack gives are the ones the README's "Scripting
faults" table and each script's docstring document)."""

import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest

import tlshs
from conftest import ROOT, TIMEOUT, cert, free_port, read_until, stop

FAULTS = os.path.join(ROOT, "examples", "faults")
WR, WW, DONE, CLOSED = tlshs.WANT_READ, tlshs.WANT_WRITE, tlshs.DONE, tlshs.CLOSED
A = {name: code for code in range(256) if (name := tlshs.alert_name(code)) != "unknown"}


def script(name):
    """Imports examples/faults/NAME.py (with common.py beside it)."""
    if FAULTS not in sys.path:
        sys.path.insert(0, FAULTS)
    spec = importlib.util.spec_from_file_location("fault_" + name, os.path.join(FAULTS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outcome(hs):
    """(result, alert sent, alert received), alerts by name."""
    name = lambda code: None if code is None else tlshs.alert_name(code)
    return hs.result, name(hs.alert_sent), name(hs.alert_received)


# ---- between two tlshs objects ----

# script: (client, server) as (result, alert sent, alert received), and who waits
PAIR = {
    "ch_1byte_records": ((DONE, None, None), (DONE, None, None), ()),
    "header_split": ((DONE, None, None), (DONE, None, None), ()),
    "warning_alert": ((DONE, None, None), (CLOSED, None, "unrecognized_name"), ()),
    "server_flight_dropped": ((WR, None, None), (WR, None, None), ("client", "server")),
    "ccs_repeated": ((CLOSED, None, "internal_error"), (CLOSED, "internal_error", None), ()),
    "finished_flipped": ((CLOSED, "bad_record_mac", None), (CLOSED, None, "bad_record_mac"), ()),
    "truncated_certificate": ((CLOSED, "decode_error", None), (CLOSED, None, "decode_error"), ()),
    "early_app_data": ((DONE, None, None), (CLOSED, "bad_record_mac", None), ()),
}


def test_every_script_is_in_the_tables():
    names = {f[:-3] for f in os.listdir(FAULTS) if f.endswith(".py") and f != "common.py"}
    assert names == set(PAIR)
    for name in names:
        doc = script(name).__doc__
        assert doc and "Expected" in doc, name


@pytest.mark.parametrize("name", sorted(PAIR))
def test_fault_between_two_tlshs(name):
    client, server, out = script(name).run_pair()
    want_c, want_s, waiting = PAIR[name]
    assert (outcome(client), outcome(server)) == (want_c, want_s), (client.error, server.error)
    assert out == (client.result, server.result)
    assert out.waiting == waiting and not out.rounds_out


@pytest.mark.parametrize("name,client_code,server_code", [
    ("finished_flipped", "E_PROTOCOL", "E_ALERT"),
    ("truncated_certificate", "E_PROTOCOL", "E_ALERT"),
    ("ccs_repeated", "E_ALERT", "E_PROTOCOL"),
    ("early_app_data", "OK", "E_PROTOCOL")])
def test_fault_codes_between_two_tlshs(name, client_code, server_code):
    """The side that noticed says E_PROTOCOL, its peer E_ALERT: codes, not
    only OpenSSL's words."""
    client, server, _ = script(name).run_pair()
    assert (client.error_code, server.error_code) == (tlshs.Code[client_code], tlshs.Code[server_code])


@pytest.mark.parametrize("name", sorted(PAIR))
def test_script_runs_as_a_program(name):
    proc = subprocess.run([sys.executable, os.path.join(FAULTS, name + ".py")],
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(tlshs.__file__))),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert proc.returncode == 0, proc.stdout
    want_c, want_s, _ = PAIR[name]
    lines = proc.stdout.decode().splitlines()
    assert lines[1].startswith(f"client: {want_c[0].name} ") and lines[2].startswith(f"server: {want_s[0].name} ")


# ---- against real servers, through drive ----

def _start(cmd, port):
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    stop(proc)
    return None


@pytest.fixture(scope="module", params=["s_server", "gnutls-serv"])
def server(request):
    """A real server on 127.0.0.1, for every fault of the module:
    (its name, "127.0.0.1:port")."""
    for _ in range(5):
        port = free_port()
        if request.param == "s_server":
            cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert("server.pem"),
                   "-key", cert("server.key"), "-quiet"]
        else:
            cmd = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile", cert("server.pem"),
                   "--x509keyfile", cert("server.key"), "--disable-client-cert"]
        proc = _start(cmd, port)
        if proc:
            yield request.param, f"127.0.0.1:{port}"
            stop(proc)
            return
    pytest.fail(f"{request.param} would not start")


COMPLETES = "completes"  # handshake done, no alert either way, not closed

# script: {server: (result, alert sent, alert received) for the client, or COMPLETES}
DRIVE = {
    "ch_1byte_records": {"s_server": COMPLETES, "gnutls-serv": COMPLETES},
    "header_split": {"s_server": COMPLETES, "gnutls-serv": COMPLETES},
    "warning_alert": {"s_server": (CLOSED, "decode_error", None),
                      "gnutls-serv": (CLOSED, None, "bad_record_mac")},
    "server_flight_dropped": {"s_server": (WR, None, None), "gnutls-serv": (WR, None, None)},
    "ccs_repeated": {"s_server": (CLOSED, None, "internal_error"),
                     "gnutls-serv": (CLOSED, None, "bad_record_mac")},
    "finished_flipped": {"s_server": (CLOSED, None, "bad_record_mac"),
                         "gnutls-serv": (CLOSED, None, "bad_record_mac")},
    "early_app_data": {"s_server": (CLOSED, None, "bad_record_mac"),
                       "gnutls-serv": (CLOSED, None, "bad_record_mac")},
}


@pytest.mark.parametrize("name", sorted(DRIVE))
def test_fault_against_a_real_server(server, name):
    kind, hostport = server
    t0 = time.monotonic()
    hs = script(name).run_drive(hostport)
    took = time.monotonic() - t0
    want = DRIVE[name][kind]
    if want == COMPLETES:
        # DONE, or WANT_READ once the server's tickets were read after it
        assert hs.handshake_done and outcome(hs)[1:] == (None, None), hs.error
        assert hs.result in (DONE, WR)
    else:
        assert outcome(hs) == want, hs.error
    if name == "server_flight_dropped":
        assert not hs.handshake_done and 1.0 <= took < 1.0 + 3.0


# ---- the other version, as the README and the docstrings say ----

# script: (version, client's outcome against tlshs's server, {server: client's outcome})
OTHER_VERSION = {
    "ccs_repeated": ("1.3", "completes", {"s_server": "completes", "gnutls-serv": "completes"}),
    "early_app_data": ("1.2", (CLOSED, None, "unexpected_message"),
                       {"s_server": (CLOSED, None, "unexpected_message"),
                        "gnutls-serv": (CLOSED, None, "unexpected_message")}),
}


def _check(hs, want):
    if want == "completes":
        assert hs.handshake_done and outcome(hs)[1:] == (None, None), hs.error
    else:
        assert outcome(hs) == want, hs.error


@pytest.mark.parametrize("name", sorted(OTHER_VERSION))
def test_fault_in_the_other_version(server, name):
    module = script(name)
    version, want_pair, want_drive = OTHER_VERSION[name]
    common = sys.modules["common"]
    client, srv = common.peers(max_version=version)
    tlshs.pair(client, srv, module.tamper)
    _check(client, want_pair)
    if want_pair == "completes":
        assert srv.handshake_done and outcome(srv)[1:] == (None, None)
    kind, hostport = server
    hs, sock = common.connect(hostport, max_version=version)
    if tlshs.drive(hs, sock, module.tamper, timeout=5) == DONE:
        common.server_answer(hs, sock)
    tlshs.close_socket(sock)
    _check(hs, want_drive[kind])
    assert hs.version == {"1.2": "TLSv1.2", "1.3": "TLSv1.3"}[version] or hs.result == CLOSED
