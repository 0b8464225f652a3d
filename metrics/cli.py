"""The command line: ``python -m metrics ingest [--json | --summary] FILE...``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from metrics.ingest import ingest_file
from metrics.record import FileResult


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description="3·15 活动报表:读取、核对、汇总")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="读取并核对报表(不写入数据库)")
    mode = ingest.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="每个文件输出记录与问题(JSON 数组)")
    mode.add_argument("--summary", action="store_true", help="每个文件输出各指标合计与问题(JSON 数组)")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        return _ingest(args)
    return 2


def _ingest(args: argparse.Namespace) -> int:
    results = [ingest_file(path, name=path) for path in args.files]
    if args.json or args.summary:
        payload = [r.to_dict(summary=args.summary) for r in results]
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=1, default=_json_default)
        sys.stdout.write("\n")
    else:
        for result in results:
            print(_text_line(result))
    return 0 if all(r.ok for r in results) else 1


def _text_line(result: FileResult) -> str:
    if not result.ok:
        return f"{result.file}: 拒收 — {result.error}"
    levels = [i.level for i in result.issues]
    return (f"{result.file}: {result.stats.records} 条记录,{result.stats.sheets} 个工作表;"
            f"错误 {levels.count('error')},警告 {levels.count('warning')},提示 {levels.count('info')};"
            f"用时 {result.stats.seconds:.2f} 秒")


def _json_default(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)
