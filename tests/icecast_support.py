"""Debian's icecast2 on loopback, with a config of its own on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import need

SOURCE_PASSWORD = "s0urce-secret"
CONFIG = """<icecast>
  <location>test</location><admin>test@localhost</admin>
  <limits><clients>20</clients><sources>4</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout><burst-size>65535</burst-size></limits>
  <authentication><source-password>{password}</source-password>
    <admin-user>admin</admin-user><admin-password>admin-secret</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>{security}
  <paths><basedir>{dir}</basedir><logdir>{dir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
</icecast>
"""


# icecast2 refuses to run as root: as root (in CI), it drops to Debian's icecast2 user
AS_ROOT = (
    "\n  <security><chroot>0</chroot><changeowner><user>icecast2</user><group>icecast</group>"
    "</changeowner></security>"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def icecast(tmp: Path) -> Iterator[int]:
    """A running icecast2 on a free loopback port; yields the port."""
    program = shutil.which("icecast2")
    if program is None:
        need("icecast2 (Debian package icecast2) is not installed")
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="tocsin-icecast-"))  # where the icecast2 user may write
    logs.chmod(0o777)
    security = AS_ROOT if os.geteuid() == 0 else ""
    config = tmp / "icecast.xml"
    config.write_text(
        CONFIG.format(password=SOURCE_PASSWORD, port=port, dir=logs, security=security)
    )
    process = subprocess.Popen([str(program), "-c", str(config)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, f"icecast2 stopped: see {logs}/error.log"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "icecast2 did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(logs, ignore_errors=True)
