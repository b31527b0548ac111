"""Reading a report needs no network and no model package: everything it reads is installed."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A process whose every connection and name lookup fails: reading reports must still work.
NO_NETWORK = """
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("no network for reading reports")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from datetime import datetime, timezone
from tocsin.records.extraction.extract import extract, warm

warm()
text = sys.stdin.read()
out = extract(text, published_at=datetime(2025, 3, 24, 8, 0, tzinfo=timezone.utc))
print(json.dumps(out.to_json(), ensure_ascii=False))
"""


def test_a_report_is_read_with_the_network_refused() -> None:
    text = (
        "В ночь на 24 марта враг атаковал Харьков ударными беспилотниками: сбиты 21 из 49. "
        "Ранены не менее 22 человек."
    )
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK],
        input=text,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    draft = json.loads(done.stdout)["draft"]
    claims = {(c["measure"], c["weapon"], c["min"], c["max"]) for c in draft["claims"]}
    assert ("launched", "uav", 49, 49) in claims
    assert ("intercepted", "uav", 21, 21) in claims
    assert ("injured", None, 22, None) in claims
    assert draft["threats"] == ["uav"]


def test_no_spacy_model_package_is_a_dependency() -> None:
    # Names such as en_core_web_sm on the package index are stubs of any version: tocsin
    # depends on none, and uses spaCy's blank pipelines only.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    names = [
        w.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip()
        for w in wanted
    ]
    assert "spacy" in names
    models = [n for n in names if "_core_" in n or n.endswith(("_sm", "_md", "_lg", "_trf"))]
    assert models == []
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src/tocsin").rglob("*.py"))
    assert "spacy.load(" not in sources
