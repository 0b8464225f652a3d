"""The CLI's store commands: `python -m metrics import FILE... [--db URL]` and `python -m metrics demo`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.storage.store import URL_VARIABLE, Store

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
REFUSE = ROOT / "tests" / "fixtures" / "refuse"


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    return code, capsys.readouterr().out.strip().splitlines()


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_import_lines_and_exit_codes(capsys, db):
    code, lines = run(
        capsys, "import", str(LAYOUTS / "city_summary.xlsx"), str(LAYOUTS / "gbk.csv"), "--db", db, "--who", "王五"
    )
    assert code == 0 and len(lines) == 2
    assert lines[0] == f"{LAYOUTS / 'city_summary.xlsx'}: 已导入 36 条记录,第 1 号报表"
    assert lines[1].endswith("已导入 16 条记录,第 2 号报表")
    code, lines = run(
        capsys,
        "import",
        str(LAYOUTS / "city_summary.xlsx"),
        str(REFUSE / "encrypted.xlsx"),
        str(LAYOUTS / "problems.xlsx"),
        "--db",
        db,
    )
    assert code == 1 and len(lines) == 3
    assert "已导入:与第 1 号报表内容相同" in lines[0]
    assert "拒收 — " in lines[1] and "密码" in lines[1]
    assert "拒收 — " in lines[2] and "年度" in lines[2]  # problems.xlsx says no year anywhere
    store = Store(db)
    assert [s["file_name"] for s in store.submissions()] == ["gbk.csv", "city_summary.xlsx"]
    assert {s["imported_by"] for s in store.submissions()} == {"王五"}
    assert len(store.facts()) == 36 + 16
    store.dispose()


def test_import_overrides_apply_to_every_file_and_replace(capsys, db):
    code, lines = run(capsys, "import", str(LAYOUTS / "problems.xlsx"), "--year", "2024", "--db", db)
    assert code == 0 and "已导入" in lines[0] and "第 1 号报表" in lines[0]
    run(capsys, "import", str(LAYOUTS / "city_summary.xlsx"), "--db", db)
    code, lines = run(
        capsys, "import", str(LAYOUTS / "city_summary.xlsx"), "--year", "2023", "--theme", "守护消费者权益", "--db", db
    )
    assert code == 0
    assert lines == [
        f"{LAYOUTS / 'city_summary.xlsx'}: 已导入 36 条记录,第 3 号报表;替换了第 2 号报表(旧版本保留,可恢复)"
    ]
    store = Store(db)
    assert store.submission(2)["status"] == "superseded"
    frame = store.facts().frame
    city = frame[frame["submission_id"] == 3]
    assert set(city["year"]) == {2023} and set(city["theme"]) == {"守护消费者权益"}
    assert set(frame[frame["submission_id"] == 1]["year"]) == {2024}
    store.dispose()


def test_partial_overlap_is_said_on_the_line(capsys, db, tmp_path):
    district = tmp_path / "鄞州区2024.csv"
    district.write_text("宁波市2024年3·15活动统计表\n填报单位,开展活动(场)\n鄞州区消保委,12\n", encoding="utf-8")
    run(capsys, "import", str(LAYOUTS / "city_summary.xlsx"), "--db", db)
    code, lines = run(capsys, "import", str(district), "--db", db)
    assert code == 0
    assert lines == [f"{district}: 已导入 1 条记录,第 2 号报表;注意:与第 1 号《city_summary.xlsx》部分重复,两份都计入"]


def test_db_flag_beats_the_environment(capsys, tmp_path, monkeypatch):
    env_db, flag_db = tmp_path / "env.db", tmp_path / "flag.db"
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{env_db}")
    assert run(capsys, "import", str(LAYOUTS / "gbk.csv"), "--db", f"sqlite:///{flag_db}")[0] == 0
    assert flag_db.exists() and not env_db.exists()
    assert run(capsys, "import", str(LAYOUTS / "gbk.csv"))[0] == 0
    assert env_db.exists()
    for path in (env_db, flag_db):
        store = Store(f"sqlite:///{path}")
        assert len(store.facts()) == 16
        store.dispose()


def test_import_contract_in_a_real_process(db):
    proc = subprocess.run(
        [sys.executable, "-m", "metrics", "import", str(LAYOUTS / "gbk.csv"), str(REFUSE / "word.docx"), "--db", db],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    ok, refused = proc.stdout.strip().splitlines()
    assert "已导入 16 条记录" in ok and "拒收" in refused and "Word" in refused
    proc = subprocess.run(
        [sys.executable, "-m", "metrics", "import", "--db", db],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_demo_stores_exactly_the_rows_asked_for(capsys, db):
    code, lines = run(capsys, "demo", "--rows", "2000", "--db", db, "--seed", "7")
    assert code == 0 and len(lines) == 1
    assert "2000 条记录" in lines[0] and "拒收 0 份" in lines[0]
    store = Store(db)
    frame = store.facts().frame
    assert len(frame) == 2000
    subs = store.submissions()
    assert {s["status"] for s in subs} == {"active"} and sum(s["n_records"] for s in subs) == 2000
    assert frame["year"].nunique() >= 3 and frame["province"].nunique() >= 3
    assert frame["sector"].nunique() >= 3 and frame["agency"].nunique() >= 10
    # the originals are kept: a stored return reads back to the numbers stored for it
    first = subs[-1]["id"]
    stored = frame[frame["submission_id"] == first].groupby("measure", observed=True)["value"].sum()
    assert store.replay(first).totals() == pytest.approx({k: float(v) for k, v in stored.items()})
    # the same demo again: every return is already there
    code, lines = run(capsys, "demo", "--rows", "2000", "--db", db, "--seed", "7")
    assert code == 0 and f"已导入过 {len(subs)} 份" in lines[0]
    assert len(store.facts()) == 2000
    store.dispose()


def test_demo_rejects_negative_rows(capsys, db):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--rows", "-5", "--db", db])
    assert exc.value.code == 2


def test_demo_beyond_what_the_generator_holds_is_refused_before_anything_is_written(capsys, db):
    code = main(["demo", "--rows", "50000000", "--db", db])
    err = capsys.readouterr().err
    assert code == 2 and "演示数据最多能生成" in err and "内部错误" not in err
    store = Store(db)
    assert store.submissions() == [] and len(store.facts()) == 0
    store.dispose()
