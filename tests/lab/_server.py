"""Start `make lab`'s command (scripts/lab.sh) on a free local port and stop it with everything it started.

The server gets its own runtime, config, settings and workspace directories under a scratch directory, so a
learner's ~/.jupyter neither changes the run nor is changed by it, and every process it starts (the server, its
kernels) names that directory on its command line, which is how scripts/lab_test.sh finds any left behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from _chapters import ROOT

LAB_SCRIPT = ROOT / "scripts" / "lab.sh"
START_TIMEOUT = 120  # seconds for JupyterLab to print its URL on a loaded machine
STOP_TIMEOUT = 30  # seconds for a clean shutdown (kernels first) before the process group is killed
# Settings a learner would click away once; in a headless run they would cover the notebook in screenshots.
QUIET_SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its process, the URL it printed (with the token) and its log file."""

    process: subprocess.Popen
    url: str
    log: Path
    scratch: Path

    @property
    def base(self) -> str:
        return self.url.split("/lab?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.rsplit("token=", 1)[1]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the server's REST API with the token."""
        headers = {"Authorization": f"token {self.token}"}
        response = requests.request(method, f"{self.base}/api/{path}", headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "sessions").json():
            self.api("DELETE", f"sessions/{session['id']}")

    def stop(self) -> None:
        """Shut the server down through its API (it stops its kernels), then kill whatever of it is left.

        Kernels run in sessions of their own, so a server that did not stop them leaves them behind; they are
        found by the scratch directory on their command line (their connection file) and killed too.
        """
        if self.process.poll() is None:
            try:
                self.api("POST", "shutdown")
                self.process.wait(STOP_TIMEOUT)
            except (requests.RequestException, subprocess.TimeoutExpired):
                pass
        _kill_group(self.process)
        for pid in processes_naming(self.scratch):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def scratch_environment(scratch: Path) -> dict[str, str]:
    """The environment for a server whose Jupyter state lives under `scratch` (created here)."""
    dirs = {name: scratch / name for name in ("runtime", "config", "settings", "workspaces")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for plugin, values in QUIET_SETTINGS.items():
        path = dirs["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
    }


def start(scratch: Path, *extra_args: str, notebook_dir: Path | None = None) -> LabServer:
    """Run scripts/lab.sh on 127.0.0.1 and a free port; return once it has printed its URL.

    Args:
        scratch: a directory for the server's state and log.
        *extra_args: more `jupyter lab` options.
        notebook_dir: the directory to serve instead of notebooks/.

    Raises:
        RuntimeError: the server exited, or printed no URL within START_TIMEOUT seconds (the message holds its log).
    """
    env = scratch_environment(scratch)
    if notebook_dir is not None:
        env["NOTEBOOK_DIR"] = str(notebook_dir)
    port = free_port()
    log = scratch / f"jupyterlab-{port}.log"
    args = ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0", *extra_args]
    with log.open("w") as out:
        process = subprocess.Popen(["bash", str(LAB_SCRIPT), *args], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    pattern = re.compile(rf"(http://127\.0\.0\.1:{port}/lab\?token=[0-9a-f]+)")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(errors="replace"))
        if found:
            return LabServer(process, found.group(1), log, scratch)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    _kill_group(process)
    text = log.read_text(errors="replace")
    raise RuntimeError(f"scripts/lab.sh {' '.join(args)} printed no URL (exit status {process.returncode}):\n{text}")


def processes_naming(path: Path) -> list[int]:
    """The ids of live processes (other than this one) whose command line contains `path`."""
    needle = str(path).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # it ended while we looked
    return found


def _kill_group(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, to the process group `process` leads (the server and any kernel still in it)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    process.wait()
