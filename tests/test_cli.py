"""The CLI contract: `python -m metrics ingest [--json | --summary] FILE...`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.core.record import RECORD_FIELDS

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
REFUSE = ROOT / "tests" / "fixtures" / "refuse"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metrics", "ingest", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_json_shape_and_exit_zero():
    proc = run_cli("--json", str(LAYOUTS / "city_summary.xlsx"), str(LAYOUTS / "gbk.csv"))
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [Path(p["file"]).name for p in payload] == ["city_summary.xlsx", "gbk.csv"]
    first = payload[0]
    assert set(first) >= {"file", "ok", "error", "records", "issues", "stats"}
    assert first["ok"] is True and first["error"] is None
    assert set(first["stats"]) == {"sheets", "rows", "records", "seconds"}
    assert first["stats"]["records"] == len(first["records"]) == 36
    assert all(list(rec) == list(RECORD_FIELDS) for rec in first["records"])
    materials = sum(r["value"] for r in first["records"] if r["metric"] == "materials")
    assert materials == 16000
    assert all(r["source"].startswith(str(LAYOUTS / "city_summary.xlsx") + "/") for r in first["records"])


def test_summary_gives_totals_not_records():
    proc = run_cli("--summary", str(LAYOUTS / "enforcement_tobacco.xlsx"))
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert "records" not in item
    assert item["totals"]["case_value"] == 5115000
    assert item["totals"]["destroyed_qty:条"] == 2356.3


def test_refused_file_exits_one_without_traceback():
    proc = run_cli("--json", str(LAYOUTS / "gbk.csv"), str(REFUSE / "encrypted.xlsx"), str(REFUSE / "zip-bomb.xlsx"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    ok, encrypted, bomb = json.loads(proc.stdout)
    assert ok["ok"] is True
    assert encrypted["ok"] is False and "密码" in encrypted["error"] and encrypted["records"] == []
    assert bomb["ok"] is False and "压缩炸弹" in bomb["error"]


def test_missing_file_is_a_refusal_not_a_crash(tmp_path):
    proc = run_cli("--summary", str(tmp_path / "nope.xlsx"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (item,) = json.loads(proc.stdout)
    assert item["ok"] is False and item["error"]


def test_plain_output_names_each_file():
    proc = run_cli(str(LAYOUTS / "city_summary.xlsx"), str(REFUSE / "word.docx"))
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert "36 条记录" in lines[0]
    assert "拒收" in lines[1] and "Word" in lines[1]


@pytest.mark.parametrize("flag", ["--json", "--summary"])
def test_usage_errors_do_not_trace(flag):
    proc = subprocess.run(
        [sys.executable, "-m", "metrics", "ingest", flag], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
