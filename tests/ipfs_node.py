"""A real IPFS node for the tests: js-ipfs (npm ``ipfs``, installed in ``tests/ipfs-node``),
serving the Kubo HTTP RPC API on a free loopback port, offline, with a fresh repository."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent / "ipfs-node"
CLI = NODE_DIR / "node_modules" / "ipfs" / "src" / "cli.js"
POLYFILL = NODE_DIR / "polyfill.cjs"
START_TIMEOUT = 90


def ipfs_node_missing() -> str | None:
    """None when the node can be started here; otherwise why not."""
    if shutil.which("node") is None:
        return "Node.js is not installed (the IPFS node tests need `node`)."
    if not CLI.exists():
        return "The IPFS node is not installed: run `npm ci --prefix tests/ipfs-node`."
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class IpfsNode:
    """``with IpfsNode() as node:`` starts the daemon; ``node.endpoint`` is its RPC URL."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="defarm-ipfs-"))
        self.repo = self.directory / "repo"
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = self.directory / "daemon.log"
        self.env = {
            **os.environ,
            "IPFS_PATH": str(self.repo),
            "NODE_OPTIONS": f"--require {POLYFILL}",
        }

    def _jsipfs(self, *arguments: str) -> list[str]:
        return ["node", str(CLI), *arguments]

    def _configure(self) -> None:
        """The RPC API on our port; no gateway, no swarm listener, no peers to dial."""
        path = self.repo / "config"
        config = json.loads(path.read_text())
        config["Addresses"].update(
            {"API": f"/ip4/127.0.0.1/tcp/{self.port}", "Gateway": "", "RPC": "", "Swarm": []}
        )
        config["Bootstrap"] = []
        config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
        path.write_text(json.dumps(config, indent=2))

    def _answers(self) -> bool:
        request = urllib.request.Request(f"{self.endpoint}/api/v0/version", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> "IpfsNode":
        subprocess.run(
            self._jsipfs("init", "--profile", "test", "--empty-repo"),
            env=self.env,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        self._configure()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self._jsipfs("daemon", "--offline"),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._answers():
                return self
            time.sleep(0.25)
        output = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"The IPFS node did not start:\n{output}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def call(self, path: str, **query: str) -> bytes:
        """POST ``/api/v0/<path>`` to the node directly (to compare with what DeFarm did)."""
        url = f"{self.endpoint}/api/v0/{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def __enter__(self) -> "IpfsNode":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
