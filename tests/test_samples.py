"""The shipped sample returns in data/samples/ read cleanly, to totals counted by hand, and regenerate.

The expected numbers below were typed from the cells written in data/samples/make_samples.py and
added up by hand (the sums are in the comments); they are not computed by the reader.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import pytest

from metrics.core.record import FileResult
from metrics.reading.ingest import ingest_bytes

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"

JIAN = {
    "吉州区消费者权益保护委员会": "360802",
    "青原区消费者权益保护委员会": "360803",
    "吉安县消费者权益保护委员会": "360821",
    "泰和县消费者权益保护委员会": "360826",
    "井冈山市消费者权益保护委员会": "360881",
    "华夏银行吉安分行": "360800",
}
NINGBO = {
    "海曙区消保委": "330203",
    "江北区消保委": "330205",
    "北仑区消保委": "330206",
    "镇海区消保委": "330211",
    "鄞州区消保委": "330212",
    "奉化区消保委": "330213",
    "余姚市消保委": "330281",
    "慈溪市消保委": "330282",
    "宁海县消保委": "330226",
    "象山县消保委": "330225",
}
JIUJIANG = {
    "浔阳区市场监督管理局": "360403",
    "濂溪区市场监督管理局": "360402",
    "柴桑区市场监督管理局": "360404",
    "瑞昌市市场监督管理局": "360481",
    "共青城市市场监督管理局": "360482",
    "庐山市市场监督管理局": "360483",
    "修水县市场监督管理局": "360424",
}

EXPECTED: dict[str, dict] = {
    "jian_city_summary_2024.xlsx": {
        "totals": {
            "events": 41,  # 8+5+6+4+7+11
            "materials": 11400,  # 2600+1400+1800+1200+2100+2300
            "consultations": 1025,  # 185+96+120+88+156+380
            "complaints_received": 75,  # 21+11+14+9+17+3
            "complaints_resolved": 71,  # 20+11+13+8+16+3
            "recovered_loss": 127800,  # 38500+12800+21600+9700+45200 (bank: —)
        },
        "years": {2024},
        "regions": JIAN,
    },
    "huaxia_jian_activities_2023.xlsx": {
        "totals": {
            "events": 9,  # 1+1+1+6
            "materials": 1960,  # 300+60+400+1200
            "consultations": 340,  # 45+35+260 (小小银行家: —)
            "participants": 1248,  # 80+48+220+900
        },
        "years": {2023},
        "regions": {"华夏银行吉安分行": "360800"},
        "theme": "权利·责任·风险",
        "activities": {"进社区", "小小银行家亲子活动", "进校园", "集中宣传咨询"},
        "dates": {"2023-03-10", "2023-03-11", "2023-03-13", "2023-03-15"},
    },
    "tumote_left_activities_2024.xlsx": {
        "totals": {
            "events": 5,  # 1+1+1+1+1
            "materials": 5200,  # 1500余+200余+500多+3000余
            "consultations": 600,  # 100余+500
            "complaints_received": 3,
            "warnings": 18,  # 6+12
            "participants": 1200,  # 1200多
            "destroyed_value": 50000,  # 5万余
        },
        "years": {2024},
        "regions": {"土默特左旗市场监督管理局": "150121"},
        "activities": {"进校园", "进社区", "进农村", "集中宣传咨询", "集中销毁"},
        "dates": {"2024-03-12", "2024-03-13", "2024-03-14", "2024-03-15"},
        "at_least": 7,  # 1500余, 200余, 500多, 3000余, 100余, 1200多, 5万余
    },
    "hanjiang_tobacco_form_2023.xlsx": {
        "totals": {
            "events": 1,
            "consultations": 300,
            "materials": 800,
            "complaints_received": 2,
            "complaints_resolved": 2,
            "staff": 18,
            "destroyed_qty:条": 2356.3,
            "destroyed_qty:千克": 1640,
        },
        "years": {2023},
        "regions": {"莆田市涵江区烟草专卖局": "350303"},
    },
    "ningbo_districts_2024_gbk.csv": {
        "totals": {
            "events": 81,  # 9+6+7+5+12+6+10+11+8+7
            "materials": 108000,  # 12000+8000+9500+7000+16000+8500+13000+14500+10500+9000
            "consultations": 519,  # 58+41+45+33+80+39+62+70+48+43
            "complaints_received": 115,  # 14+9+12+8+19+10+13+15+9+6
            "tests": 249,  # 30+18+25+20+42+21+33+35+14+11
            "staff": 173,  # 22+15+16+12+28+14+20+21+13+12
        },
        "years": {2024},
        "regions": NINGBO,
    },
    "ningbo_wanfen_2025.xlsx": {
        "totals": {
            "materials": 125000,  # (1.34+2.6+1.55+3.2+2.05+1.76) 万份 = 12.5 万份
            "consultations": 549,  # 120+96+64+135+78+56
            "complaints_received": 128,  # 32+20+14+28+19+15
            "complaints_resolved": 124,  # 31+20+13+27+18+15
            "recovered_loss": 550000,  # (18.6+9.35+4.2+12.8+6.45+3.6) 万元 = 55 万元
            "warnings": 57,  # 21+9+6+10+6+5
            "media_reports": 122,  # 50+18+11+22+12+9
        },
        "years": {2025},
        "regions": {"宁波市消保委": "330200"}
        | {k: NINGBO[k] for k in ("海曙区消保委", "江北区消保委", "鄞州区消保委", "北仑区消保委", "镇海区消保委")},
    },
    "jiujiang_counties_2023.xls": {
        "totals": {
            "events": 29,  # 5+4+3+4+3+4+6
            "materials": 16800,  # 3200+2500+1800+2300+1500+2100+3400
            "consultations": 975,  # 210+150+95+130+80+120+190
            "inspections": 835,  # 160+120+90+135+70+110+150
            "cases": 31,  # 6+4+3+5+2+4+7
            "fines": 176000,  # (3.5+2.2+1.6+2.8+0.9+2.5+4.1) 万元 = 17.6 万元
            "volunteers": 80,  # 12+8+10+9+6+15+20
        },
        "years": {2023},
        "regions": JIUJIANG,
    },
    "zhongmu_years_2023_2025.xlsx": {
        "totals": {
            "events": 15,  # 4+5+6
            "materials": 5400,  # 1500+1800+2100
            "consultations": 445,  # 120+150+175
            "tests": 342,  # 96+116+130
            "staff": 90,  # 26+30+34
        },
        "by_year": {
            2023: {"events": 4, "materials": 1500, "consultations": 120, "tests": 96, "staff": 26},
            2024: {"events": 5, "materials": 1800, "consultations": 150, "tests": 116, "staff": 30},
            2025: {"events": 6, "materials": 2100, "consultations": 175, "tests": 130, "staff": 34},
        },
        "years": {2023, 2024, 2025},
        "regions": {"中牟县市场监督管理局": "410122"},
    },
}
FILES = sorted(EXPECTED)


@cache
def _read(name: str) -> FileResult:
    return ingest_bytes((SAMPLES / name).read_bytes(), name)


def test_every_sample_is_listed() -> None:
    shipped = {p.name for p in SAMPLES.iterdir() if p.suffix not in (".py", ".md") and p.is_file()}
    assert shipped == set(EXPECTED)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in FILES)
    assert len({".xlsx", ".xls", ".csv"} & {Path(n).suffix for n in FILES}) == 3


@pytest.mark.parametrize("name", FILES)
def test_sample_reads_clean(name: str) -> None:
    result = _read(name)
    assert result.ok, result.error
    assert [i for i in result.issues if i.level in ("error", "warning")] == []


@pytest.mark.parametrize("name", FILES)
def test_sample_totals(name: str) -> None:
    assert _read(name).totals() == pytest.approx(EXPECTED[name]["totals"], rel=1e-9)
    assert set(_read(name).totals()) == set(EXPECTED[name]["totals"])


@pytest.mark.parametrize("name", FILES)
def test_sample_dimensions(name: str) -> None:
    expected = EXPECTED[name]
    records = _read(name).records
    assert {r.year for r in records} == expected["years"]
    assert {r.agency: r.adcode for r in records} == expected["regions"]
    assert all(r.province and r.city for r in records)
    if "theme" in expected:
        assert {r.theme for r in records} == {expected["theme"]}
    if "activities" in expected:
        assert {r.activity for r in records} == expected["activities"]
        assert {r.date for r in records} == expected["dates"]
    if "at_least" in expected:
        assert sum(r.approx == "at_least" for r in records) == expected["at_least"]


def test_sample_years_across() -> None:
    by_year: dict[int, dict[str, float]] = {}
    for r in _read("zhongmu_years_2023_2025.xlsx").records:
        by_year.setdefault(r.year, {})
        by_year[r.year][r.metric] = by_year[r.year].get(r.metric, 0) + r.value
    assert by_year == EXPECTED["zhongmu_years_2023_2025.xlsx"]["by_year"]


def test_samples_give_trends() -> None:
    years = set().union(*(EXPECTED[n]["years"] for n in FILES))
    assert {2023, 2024, 2025} <= years
    provinces = {r.province for n in FILES for r in _read(n).records}
    assert provinces == {"江西省", "内蒙古自治区", "福建省", "浙江省", "河南省"}


def test_generator_rewrites_the_same_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES
    for name in FILES:
        fresh = (tmp_path / name).read_bytes()
        assert ingest_bytes(fresh, name).totals() == _read(name).totals()
        assert fresh == (SAMPLES / name).read_bytes(), f"{name} 重新生成后与仓库中的文件不同"
