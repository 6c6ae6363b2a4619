"""The README's curl walk-through, run as it is written against gunicorn (started with
railway.json's command, production settings, a fresh SQLite file): the README cannot drift
from what the API answers."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.serving import ROOT, child_env, gunicorn

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def readme_walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Walk-through with curl", 1)[1]
    match = re.search(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert match, "README: the walk-through is a ```sh block"
    return match.group(1)


def test_the_readme_walkthrough_runs_against_gunicorn(tmp_path: Path):
    env = child_env(
        DEBUG="false",
        SECRET_KEY="walkthrough-secret-" + "k" * 40,
        JWT_SECRET="walkthrough-jwt-" + "j" * 40,
        ATTESTATION_SIGNING_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DEFARM_DATA_DIR=str(tmp_path),
    )
    script = readme_walkthrough()
    with gunicorn(env, workers=2) as server:
        server.wait_until_serving("/health")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**env, "BASE": server.base},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{server.output}"
    last_line = result.stdout.strip().splitlines()[-1]
    events = json.loads(last_line)
    events = events.get("data", events) if isinstance(events, dict) else events
    assert {"Created", "PushedToCircuit"} <= {event["event_type"] for event in events}
    assert "Traceback" not in server.output
