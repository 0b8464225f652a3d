"""The command line: ``python -m metrics ingest | import | demo | brief | extract | campaign``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from metrics.brief import BREAKDOWNS, DEFAULT_BREAKDOWNS
from metrics.ingest import Overrides, ingest_file
from metrics.record import FileResult
from metrics.store import ImportOutcome, Store, resolve_url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description="3·15 活动报表:读取、核对、汇总")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="读取并核对报表(不写入数据库)")
    mode = ingest.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="每个文件输出记录与问题(JSON 数组)")
    mode.add_argument("--summary", action="store_true", help="每个文件输出各指标合计与问题(JSON 数组)")
    ingest.add_argument("files", nargs="+", metavar="FILE")

    store = sub.add_parser("import", help="读取、核对并存入数据库(同一文件不会重复导入)")
    store.add_argument("files", nargs="+", metavar="FILE")
    _db_argument(store)
    store.add_argument("--who", default="", help="导入人(记入报表列表)")
    fixes = store.add_argument_group("更正(对本次所有文件生效)")
    fixes.add_argument("--year", type=int, help="年度")
    fixes.add_argument("--agency", help="填报单位")
    fixes.add_argument("--sector", help="行业/系统")
    fixes.add_argument("--region", help="地区")
    fixes.add_argument("--theme", help="活动主题")

    demo = sub.add_parser("demo", help="生成演示报表(多年度、多省份、多行业)并存入数据库")
    demo.add_argument("--rows", type=_non_negative, default=100_000, help="记录总数(默认 100000)")
    demo.add_argument("--seed", type=int, default=315, help="随机种子(默认 315)")
    _db_argument(demo)
    demo.add_argument("--who", default="演示数据", help="导入人(默认“演示数据”)")

    extract = sub.add_parser("extract", help="从活动总结(.txt .md .docx)中提取指标数字(不写入数据库)")
    extract.add_argument("--json", action="store_true", help="输出每个文件的记录(含原文 evidence 与位置 start/end)")
    extract.add_argument("files", nargs="+", metavar="FILE", help="总结文件;“-”表示从标准输入读取粘贴的文字")

    brief = sub.add_parser("brief", help="生成简报:--out 的扩展名(.pptx .xlsx .docx .html)决定格式")
    _db_argument(brief)
    brief.add_argument("--out", required=True, metavar="FILE", help="输出文件,如 简报.pptx")
    scope = brief.add_argument_group("范围(与看板侧栏的筛选相同;不填即全部)")
    scope.add_argument("--year", type=int, action="append",
                       help="年度,可重复:--year 2023 --year 2024;不填则取最近的完整年度(见 README“简报”)")
    scope.add_argument("--province", help="省份")
    scope.add_argument("--city", help="城市")
    scope.add_argument("--district", help="区县")
    scope.add_argument("--sector", action="append", help="系统,可重复")
    scope.add_argument("--agency", action="append", help="单位,可重复")
    scope.add_argument("--approved", action="store_true",
                       help="仅计入报送任务中已审核或已锁定单位的报表(仅已审核报表)")
    content = brief.add_argument_group("内容")
    content.add_argument("--metric", action="append", metavar="ID",
                         help="指标编号(如 events、materials),可重复;默认取主要指标前三项")
    content.add_argument("--chart", action="append", choices=BREAKDOWNS, metavar="BY",
                         help=f"分项图表,可重复:{' '.join(BREAKDOWNS)};默认 sector region year agency")
    content.add_argument("--title", help="标题;默认按年度和地区生成")
    _campaign_parser(sub)
    return parser


def _campaign_parser(sub) -> None:
    campaign = sub.add_parser("campaign", help="报送任务:创建、导入应报单位名单、查看报送进度")
    steps = campaign.add_subparsers(dest="campaign_command", required=True)
    create = steps.add_parser("create", help="创建报送任务(可从去年的任务复制指标、宽限天数和名单)")
    create.add_argument("--name", help="任务名称,如“2025年3·15活动情况报送”;复制时默认把去年名称中的年份换成今年")
    create.add_argument("--year", type=int, required=True, help="年度")
    create.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="截止日期(北京时间,当天报送算按时)")
    create.add_argument("--grace", type=_non_negative, help="宽限天数(默认 0;复制时默认沿用)")
    create.add_argument("--metrics", metavar="ID,ID", help="要求报送的指标编号,逗号分隔,如 events,materials")
    create.add_argument("--theme", help="活动主题;默认取当年全国主题")
    create.add_argument("--period", nargs=2, metavar=("START", "END"), help="活动期间 YYYY-MM-DD YYYY-MM-DD")
    create.add_argument("--copy-from", type=int, metavar="ID", help="从第 ID 号任务复制(去年的任务)")
    create.add_argument("--who", default="", help="创建人")
    create.add_argument("--json", action="store_true", help="输出任务(JSON)")
    _db_argument(create)
    roster = steps.add_parser("roster-import", help="导入应报单位名单(.xlsx/.xls/.csv;列:单位名称 系统 地区 上级单位 联系人 联系电话)")
    roster.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    roster.add_argument("file", metavar="FILE")
    roster.add_argument("--json", action="store_true", help="输出新增、更新数与每个问题(JSON)")
    _db_argument(roster)
    status = steps.add_parser("status", help="报送进度:每个单位的状态,报送率、按时率(按地区、系统)")
    status.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    status.add_argument("--json", action="store_true", help="输出完整进度(JSON)")
    _db_argument(status)
    remind = steps.add_parser("remind", help="催报:为未报、退回的单位生成催报名单(.xlsx)、催报通知(.docx)或短信(.txt/.csv),并记录")
    remind.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    remind.add_argument("--out", required=True, metavar="FILE", help="输出文件;按后缀决定:.xlsx 名单 .docx 通知 .txt/.csv 短信")
    remind.add_argument("--office", default="", metavar="发文单位", help="发文单位(通知和短信必填)")
    remind.add_argument("--contact", default="", metavar="联系人及电话", help="联系人及电话(通知和短信必填)")
    remind.add_argument("--who", default="", help="经办人(记入催报记录)")
    remind.add_argument("--json", action="store_true", help="输出催报记录与未能发短信的单位(JSON)")
    _db_argument(remind)
    template = steps.add_parser("template", help="报表模板:为名单中的单位生成已填好单位、地区和指标列的 .xlsx 模板")
    template.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    template.add_argument("--out", required=True, metavar="DIR", help="输出文件夹(每个单位一个文件)")
    template.add_argument("--unit", action="append", metavar="单位名称", help="只为这些单位生成,可重复;默认名单中全部单位")
    _db_argument(template)
    listing = steps.add_parser("list", help="列出报送任务")
    listing.add_argument("--json", action="store_true")
    _db_argument(listing)


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL",
                        help="SQLAlchemy 数据库地址;默认取环境变量 OUTREACH_DB_URL,否则为 data/outreach.db")


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负数:{value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        return _ingest(args)
    if args.command == "import":
        return _import(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "brief":
        return _brief(args)
    if args.command == "extract":
        return _extract(args)
    if args.command == "campaign":
        return _campaign(args)
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


def _import(args: argparse.Namespace) -> int:
    from metrics.campaigns import link_submission  # a return of a round's year counts for its roster units

    overrides = Overrides(year=args.year, agency=args.agency, sector=args.sector, region=args.region,
                          theme=args.theme)
    store = Store(resolve_url(args.db))
    ok = True
    try:
        for path in args.files:
            result = ingest_file(path, name=Path(path).name, overrides=overrides)
            if not result.ok:
                print(f"{path}: 拒收 — {result.error}")
                ok = False
                continue
            outcome = store.import_result(result, Path(path).read_bytes(), overrides=overrides, who=args.who)
            ok = ok and outcome.status in ("imported", "duplicate")
            print(f"{path}: {_outcome_text(outcome)}")
            if outcome.status == "imported":
                for link in link_submission(store, outcome.submission_id, who=args.who):
                    print(f"  报送任务《{link.campaign.name}》:" + (f"{link.unit.name} 已报待审" if link.status == "submitted"
                          else link.message or f"名单中找不到或无法确定“{link.agency}”"))
    finally:
        store.dispose()
    return 0 if ok else 1


def _outcome_text(outcome: ImportOutcome) -> str:
    if outcome.status == "refused":
        return "拒收 — " + outcome.message.removeprefix("拒收:")
    if outcome.status == "duplicate":
        return outcome.message
    text = f"已导入 {outcome.records} 条记录,第 {outcome.submission_id} 号报表"
    if outcome.replaced:
        ids = "、".join(f"第 {i} 号" for i in outcome.replaced)
        text += f";替换了{ids}报表(旧版本保留,可恢复)"
    if outcome.overlaps:
        names = "、".join(f"第 {c.submission_id} 号《{c.file_name}》" for c in outcome.overlaps)
        text += f";注意:与{names}部分重复,两份都计入"
    return text


def _demo(args: argparse.Namespace) -> int:
    # Imported here: only this command needs the generator.
    from metrics.demo import generate_returns

    url = resolve_url(args.db)
    started = time.perf_counter()
    store = Store(url)
    try:
        outcomes = store.import_many(((r.result, r.data) for r in generate_returns(args.rows, seed=args.seed)),
                                     who=args.who)
    finally:
        store.dispose()
    count = {status: sum(o.status == status for o in outcomes) for status in ("imported", "duplicate", "refused")}
    records = sum(o.records for o in outcomes)
    where = sa.engine.make_url(url).render_as_string(hide_password=True)
    print(f"演示数据:生成 {len(outcomes)} 份报表,导入 {count['imported']} 份({records} 条记录),"
          f"已导入过 {count['duplicate']} 份,拒收 {count['refused']} 份;用时 {time.perf_counter() - started:.1f} 秒;"
          f"数据库 {where}")
    for outcome in outcomes:
        if outcome.status == "refused":
            print(f"{outcome.file}: 拒收 — {outcome.message.removeprefix('拒收:')}")
    return 0 if not count["refused"] else 1


def _extract(args: argparse.Namespace) -> int:
    from metrics.narrative import extract_file, refused

    results = []
    for path in args.files:
        if path == "-":  # pasted text on standard input
            results.append({**extract_file(sys.stdin.buffer.read(), "stdin.txt"), "file": "-"})
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            results.append(refused(path, f"无法打开文件:{exc.strerror or exc}"))
            continue
        results.append({**extract_file(data, Path(path).name), "file": path})
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1, default=_json_default)
        sys.stdout.write("\n")
    else:
        for result in results:
            if not result["ok"]:
                print(f"{result['file']}: 拒收 — {result['error']}")
            else:
                print(f"{result['file']}: {len(result['reports'])} 篇总结,{len(result['records'])} 条记录")
    return 0 if all(r["ok"] for r in results) else 1


BRIEF_FORMATS = (".pptx", ".xlsx", ".docx", ".html")


def _brief(args: argparse.Namespace) -> int:
    from metrics import packs  # only this command writes Office files
    from metrics.query import filters_from_params, measures_in

    out = Path(args.out)
    if out.suffix.lower() not in BRIEF_FORMATS:
        print(f"无法生成“{out.name}”:文件扩展名须为 {' '.join(BRIEF_FORMATS)} 之一", file=sys.stderr)
        return 2
    store = Store(resolve_url(args.db))
    try:
        frame = store.facts().frame
        if frame.empty:
            print("数据库里还没有数据:请先用 import 导入报表(或 demo 生成演示数据)", file=sys.stderr)
            return 1
        params = {name: ",".join(str(v) for v in value) if isinstance(value, list) else value
                  for name in ("year", "province", "city", "district", "sector", "agency")
                  if (value := getattr(args, name))}
        filters, notes = filters_from_params(params, frame)
        if notes:
            for note in notes:
                print(note.replace("链接中的", "参数中的").replace(",已忽略", ""), file=sys.stderr)
            return 1
        if args.approved:
            from metrics.campaigns import approved_submissions

            filters = replace(filters, approved=True, submissions=approved_submissions(store))
        present = {m.key: m for m in measures_in(frame)}
        unknown = [m for m in args.metric or () if m not in present]
        if unknown:
            print(f"数据中没有这些指标:{'、'.join(unknown)};可用:{' '.join(present)}", file=sys.stderr)
            return 1
        started = time.perf_counter()
        made = packs.make_pack(out.suffix.lower(), frame, filters, measures=args.metric,
                               breakdowns=args.chart or DEFAULT_BREAKDOWNS, title=args.title,
                               texts=store.record_details)
    finally:
        store.dispose()
    if made.brief.record_count == 0:
        print("所选范围内没有数据,未生成文件", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.data)
    print(f"{out}: {len(made.brief.charts)} 张图表,{made.brief.record_count} 条记录;"
          f"用时 {time.perf_counter() - started:.1f} 秒")
    print(f"范围:{made.brief.scope}")
    for note in made.notes:
        print(note)
    return 0


def _campaign(args: argparse.Namespace) -> int:
    from metrics import campaigns
    from metrics.sniff import FileRefused

    store = Store(resolve_url(args.db))
    try:
        return {"create": _campaign_create, "roster-import": _campaign_roster, "status": _campaign_status,
                "list": _campaign_list, "remind": _campaign_remind,
                "template": _campaign_template}[args.campaign_command](store, args)
    except campaigns.CampaignError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FileRefused as exc:
        print(f"{getattr(args, 'file', '')}: 拒收 — {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.dispose()


def _campaign_create(store: Store, args: argparse.Namespace) -> int:
    from metrics import campaigns

    metrics = [m for m in (args.metrics or "").split(",") if m.strip()]
    if args.copy_from is not None:
        made = campaigns.copy_campaign(store, args.copy_from, year=args.year, due=args.due, grace_days=args.grace,
                                       name=args.name, who=args.who)
    else:
        if not args.name:
            print("请用 --name 给出任务名称(或用 --copy-from 从去年的任务复制)", file=sys.stderr)
            return 2
        made = campaigns.create_campaign(store, name=args.name, year=args.year, due=args.due,
                                         grace_days=args.grace or 0, theme=args.theme, period=args.period,
                                         metrics=metrics, who=args.who)
    units = len(campaigns.roster(store, made.id))
    if args.json:
        _dump({**made.to_dict(), "units": units})
    else:
        copied = f",从第 {made.copied_from} 号任务复制({units} 个应报单位)" if made.copied_from else ""
        print(f"已创建第 {made.id} 号报送任务《{made.name}》:{made.year} 年,截止 {made.due_date},"
              f"宽限 {made.grace_days} 天(最晚 {made.last_on_time_day} 算按时){copied}")
    return 0


def _campaign_roster(store: Store, args: argparse.Namespace) -> int:
    from metrics import campaigns

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{args.file}: 无法打开文件:{exc.strerror or exc}", file=sys.stderr)
        return 1
    done = campaigns.import_roster(store, args.campaign, data, path.name)
    if args.json:
        _dump({"file": args.file, **done.to_dict()})
    else:
        print(f"{args.file}: 新增 {done.added} 个单位,更新 {done.updated} 个;"
              f"未导入 {sum(i.level == 'error' for i in done.issues)} 行")
        for issue in done.issues:
            print(f"  {issue.where} [{issue.code}] {issue.message}")
    return 1 if any(i.level == "error" for i in done.issues) else 0


def _campaign_template(store: Store, args: argparse.Namespace) -> int:
    from metrics import campaigns

    units = campaigns.roster(store, args.campaign)
    wanted = set(args.unit or ())
    unknown = wanted - {u.name for u in units}
    if unknown:
        print(f"名单中没有这些单位:{'、'.join(sorted(unknown))}", file=sys.stderr)
        return 1
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    made = [campaigns.unit_template(store, args.campaign, u.id) for u in units if not wanted or u.name in wanted]
    for template in made:
        (folder / _safe_name(template.file_name)).write_bytes(template.data)
    print(f"已生成 {len(made)} 个报表模板,在 {folder}")
    if made and made[0].left_out:
        print(f"模板不含:{'、'.join(made[0].left_out)}(销毁物品数量的计量单位各不相同,请另行填报)")
    return 0


def _safe_name(name: str) -> str:
    """A file name any file system takes: the characters Windows forbids become '_'."""
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)


def _campaign_status(store: Store, args: argparse.Namespace) -> int:
    from metrics import campaigns
    from metrics.completeness import percent

    report = campaigns.completeness(store, args.campaign)
    if args.json:
        _dump(report.to_dict())
        return 0
    overall, camp = report.overall, report.campaign
    print(f"第 {camp.id} 号《{camp.name}》截止 {camp.due_date}(宽限 {camp.grace_days} 天):"
          f"应报 {overall.expected},已报 {overall.reported}(报送率 {percent(overall.reporting_rate)}),"
          f"按时 {overall.on_time}(按时率 {percent(overall.on_time_rate)}),迟报 {overall.late},"
          f"已审核 {overall.approved}")
    print("  " + ",".join(f"{name} {n}" for name, n in overall.counts.items()))
    for unit in report.units:
        if unit.status == campaigns.Status.NOT_REPORTED or unit.late or unit.status == campaigns.Status.RETURNED:
            flags = [str(unit.status)] + ([campaigns.LATE] if unit.late else []) + (["逾期"] if unit.overdue else [])
            note = f":{unit.comment}" if unit.comment else ""
            print(f"  {unit.unit.name}  {' '.join(flags)}{note}")
    return 0


def _campaign_remind(store: Store, args: argparse.Namespace) -> int:
    from metrics.campaign_reminders import make_reminder

    out = Path(args.out)
    made = make_reminder(store, args.campaign, out.suffix, office=args.office, contact=args.contact, who=args.who,
                         record=False)
    try:
        out.write_bytes(made.data)
    except OSError as exc:
        print(f"{args.out}: 无法写入:{exc.strerror or exc}", file=sys.stderr)
        return 1
    made.record(store)  # logged only once the file is written
    skipped = [{"unit": u.unit, "phone": u.phone, "reason": reason} for u, reason in made.skipped]
    if args.json:
        _dump({"file": str(out), **made.log.to_dict(), "skipped": skipped})
        return 0
    print(f"{out}: 已为 {len(made.log.units)} 个单位生成催报({made.log.channel}),已记录")
    for item in skipped:
        print(f"  未发短信:{item['unit']} — {item['reason']}")
    return 0


def _campaign_list(store: Store, args: argparse.Namespace) -> int:
    from metrics import campaigns

    found = campaigns.list_campaigns(store)
    if args.json:
        _dump([c.to_dict() for c in found])
    for c in [] if args.json else found:
        print(f"{c.id}  {c.year}  {c.name}  截止 {c.due_date}  宽限 {c.grace_days} 天")
    return 0


def _dump(payload: object) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=1, default=_json_default)
    sys.stdout.write("\n")


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
