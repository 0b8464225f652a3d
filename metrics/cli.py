"""The command line: ``python -m metrics ingest | import | demo | brief | extract | campaign | user | audit``.

Once the store has accounts, every command that touches it logs in (``--user`` / $OUTREACH_USER, the
password from $OUTREACH_PASSWORD or a prompt) and acts through a ``ScopedStore`` for that account.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from metrics.access import accounts
from metrics.access.rules import OWNER, AccessDenied, Action, Role, Scope, principal_of
from metrics.access.scoped import ScopedStore
from metrics.briefing.brief import BREAKDOWNS, DEFAULT_BREAKDOWNS
from metrics.core.record import FileResult
from metrics.reading.ingest import Overrides, ingest_file
from metrics.storage.store import ImportOutcome, Store, resolve_url

USER_VARIABLE = "OUTREACH_USER"
PASSWORD_VARIABLE = "OUTREACH_PASSWORD"
NEW_PASSWORD_VARIABLE = "OUTREACH_NEW_PASSWORD"
SOURCE = "命令行"  # the audit log's 来源 for everything done from the command line
EXIT_REFUSED = 3  # login failed or the account may not do this


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description="3·15 活动报表:读取、核对、汇总")
    parser.add_argument("--user", metavar="NAME", help=USER_HELP)
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
    scope.add_argument(
        "--year",
        type=int,
        action="append",
        help="年度,可重复:--year 2023 --year 2024;不填则取最近的完整年度(见 README“简报”)",
    )
    scope.add_argument("--province", help="省份")
    scope.add_argument("--city", help="城市")
    scope.add_argument("--district", help="区县")
    scope.add_argument("--sector", action="append", help="系统,可重复")
    scope.add_argument("--agency", action="append", help="单位,可重复")
    scope.add_argument("--approved", action="store_true", help="仅计入报送任务中已审核或已锁定单位的报表(仅已审核报表)")
    content = brief.add_argument_group("内容")
    content.add_argument(
        "--metric", action="append", metavar="ID", help="指标编号(如 events、materials),可重复;默认取主要指标前三项"
    )
    content.add_argument(
        "--chart",
        action="append",
        choices=BREAKDOWNS,
        metavar="BY",
        help=f"分项图表,可重复:{' '.join(BREAKDOWNS)};默认 sector region year agency",
    )
    content.add_argument("--title", help="标题;默认按年度和地区生成")
    content.add_argument(
        "--no-map",
        dest="map",
        action="store_false",
        help="不加入地区分布地图:边界数据没有审图号,对外发布的简报请加此项",
    )
    _campaign_parser(sub)
    _user_parser(sub)
    _audit_parser(sub)
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
    roster = steps.add_parser(
        "roster-import", help="导入应报单位名单(.xlsx/.xls/.csv;列:单位名称 系统 地区 上级单位 联系人 联系电话)"
    )
    roster.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    roster.add_argument("file", metavar="FILE")
    roster.add_argument("--json", action="store_true", help="输出新增、更新数与每个问题(JSON)")
    _db_argument(roster)
    status = steps.add_parser("status", help="报送进度:每个单位的状态,报送率、按时率(按地区、系统)")
    status.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    status.add_argument("--json", action="store_true", help="输出完整进度(JSON)")
    _db_argument(status)
    remind = steps.add_parser(
        "remind", help="催报:为未报、退回的单位生成催报名单(.xlsx)、催报通知(.docx)或短信(.txt/.csv),并记录"
    )
    remind.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    remind.add_argument(
        "--out", required=True, metavar="FILE", help="输出文件;按后缀决定:.xlsx 名单 .docx 通知 .txt/.csv 短信"
    )
    remind.add_argument("--office", default="", metavar="发文单位", help="发文单位(通知和短信必填)")
    remind.add_argument("--contact", default="", metavar="联系人及电话", help="联系人及电话(通知和短信必填)")
    remind.add_argument("--who", default="", help="经办人(记入催报记录)")
    remind.add_argument("--json", action="store_true", help="输出催报记录与未能发短信的单位(JSON)")
    _db_argument(remind)
    template = steps.add_parser("template", help="报表模板:为名单中的单位生成已填好单位、地区和指标列的 .xlsx 模板")
    template.add_argument("campaign", type=int, metavar="CAMPAIGN", help="任务编号")
    template.add_argument("--out", required=True, metavar="DIR", help="输出文件夹(每个单位一个文件)")
    template.add_argument(
        "--unit", action="append", metavar="单位名称", help="只为这些单位生成,可重复;默认名单中全部单位"
    )
    _db_argument(template)
    listing = steps.add_parser("list", help="列出报送任务")
    listing.add_argument("--json", action="store_true")
    _db_argument(listing)


def _user_parser(sub) -> None:
    user = sub.add_parser("user", help="账号:新增、修改、列出(第一个账号须为管理员;之后须以管理员登录)")
    steps = user.add_subparsers(dest="user_command", required=True)
    add = steps.add_parser("add", help="新增账号;本地账号的密码输入两次(或取环境变量 OUTREACH_NEW_PASSWORD)")
    add.add_argument("name", metavar="NAME", help="登录名;统一身份认证账号为其电子邮箱")
    add.add_argument("--role", required=True, type=_role, metavar="角色", help=ROLE_HELP)
    _account_options(add)
    add.add_argument("--oidc", action="store_true", help="统一身份认证账号(登录名为电子邮箱,不设密码)")
    _db_argument(add)
    change = steps.add_parser("set", help="修改账号:角色、范围、姓名、密码、停用/启用、解锁")
    change.add_argument("name", metavar="NAME")
    change.add_argument("--role", type=_role, metavar="角色", help=ROLE_HELP)
    _account_options(change)
    change.add_argument("--password", action="store_true", help="重设密码(输入两次,或取环境变量 OUTREACH_NEW_PASSWORD)")
    active = change.add_mutually_exclusive_group()
    active.add_argument("--disable", dest="active", action="store_false", default=None, help="停用账号")
    active.add_argument("--enable", dest="active", action="store_true", default=None, help="启用账号")
    change.add_argument("--unlock", action="store_true", help="解除因连续输错密码造成的锁定")
    _db_argument(change)
    listing = steps.add_parser("list", help="列出账号")
    listing.add_argument("--json", action="store_true")
    _db_argument(listing)


def _account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--display", metavar="姓名", help="显示的姓名(记入报表列表和操作日志);默认同登录名")
    parser.add_argument(
        "--region",
        action="append",
        metavar="地区",
        help="范围内的地区,可重复:地区名(深圳市、广东省深圳市)、六位行政区划代码或 全国;"
        "user set 时替换原有地区,--region '' 清空",
    )
    parser.add_argument(
        "--unit", action="append", metavar="单位名称", help="范围内的单位,可重复;user set 时替换原有单位,--unit '' 清空"
    )


def _audit_parser(sub) -> None:
    audit = sub.add_parser("audit", help="操作日志:查询与导出(仅管理员)")
    audit.add_argument("--who", metavar="NAME", help="账号(包含即可)")
    audit.add_argument(
        "--action",
        type=_audit_action,
        metavar="操作",
        help="操作:" + "、".join(f"{zh}({code})" for code, zh in accounts.AUDIT_ACTIONS.items()),
    )
    audit.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="自哪天起(北京时间,含当天)")
    audit.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="到哪天止(北京时间,含当天)")
    audit.add_argument("--text", metavar="文字", help="对象、详情、报表编号或来源中包含的文字")
    output = audit.add_mutually_exclusive_group()
    output.add_argument("--out", metavar="FILE", help="导出到文件:.xlsx 或 .csv")
    output.add_argument("--json", action="store_true", help="输出 JSON 数组")
    _db_argument(audit)


USER_HELP = (
    "以哪个账号操作(数据库启用账号后必填);默认取环境变量 OUTREACH_USER;"
    "密码取环境变量 OUTREACH_PASSWORD,未设置时提示输入"
)
ROLE_HELP = "管理员|审核员|填报员|查看者(或 admin|reviewer|filler|viewer)"


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="SQLAlchemy 数据库地址;默认取环境变量 OUTREACH_DB_URL,否则为 data/outreach.db"
    )
    # Also accepted after the command; SUPPRESS keeps a --user given before it.
    parser.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS, help=USER_HELP)


def _role(text: str) -> Role:
    try:
        return Role.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期须写成 YYYY-MM-DD:{text}") from None


def _audit_action(text: str) -> str:
    wanted = text.strip()
    for code, zh in accounts.AUDIT_ACTIONS.items():
        if wanted in (code, zh):
            return code
    raise argparse.ArgumentTypeError(f"没有“{text}”这种操作;可选:" + "、".join(accounts.AUDIT_ACTIONS.values()))


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负数:{value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        return _ingest(args)
    if args.command == "extract":
        return _extract(args)
    if args.command == "brief" and Path(args.out).suffix.lower() not in BRIEF_FORMATS:
        print(f"无法生成“{Path(args.out).name}”:文件扩展名须为 {' '.join(BRIEF_FORMATS)} 之一", file=sys.stderr)
        return 2
    run = {"import": _import, "demo": _demo, "brief": _brief, "campaign": _campaign, "user": _user, "audit": _audit}[
        args.command
    ]
    store = Store(resolve_url(args.db))
    try:
        handle = _acting_store(store, args)
        if handle is None:
            return 2
        return run(handle, args)
    except (AccessDenied, accounts.LoginFailed) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.dispose()


# ---- who acts -------------------------------------------------------------------------------------------
def _acting_store(store: Store, args: argparse.Namespace) -> ScopedStore | None:
    """The store handle for the account the command acts for (None: no account named, message printed).

    No accounts yet: the machine's owner, as before login existed (the audit log says 本机用户)."""
    name = (args.user or os.environ.get(USER_VARIABLE, "")).strip()
    if not accounts.has_accounts(store):
        if name:
            print(f"本数据库尚未启用账号,忽略 --user {name},以本机用户身份操作", file=sys.stderr)
        return ScopedStore(store, OWNER, source=SOURCE)
    if not name:
        print(
            "本数据库已启用账号,请用 --user 指定账号(或设置环境变量 OUTREACH_USER);"
            "密码取环境变量 OUTREACH_PASSWORD,未设置时会提示输入",
            file=sys.stderr,
        )
        return None
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        password = _ask(f"账号“{name}”的密码:")
        if password is None:
            print("未输入密码,未登录", file=sys.stderr)
            return None
    # delay read now, not at login()'s definition, so it can be changed (tests set it to 0)
    principal = accounts.login(store, name, password, source=SOURCE, delay=accounts.FAIL_DELAY)
    return ScopedStore(store, principal, source=SOURCE)


def _ask(prompt: str) -> str | None:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        return None


def _require(store: ScopedStore, action: Action, target: str = "") -> None:
    """Refuse (and log the refusal) before any work when the account's role may not do this at all."""
    try:
        principal_of(store).require(action)
    except AccessDenied as error:
        accounts.denied(store, error, target=target)
        raise


def _who(store: ScopedStore, given: str) -> str:
    """The name written into lists and logs: a logged-in account's display name, else what --who says."""
    principal = principal_of(store)
    return given if principal.kind == "owner" else principal.display


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


def _import(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection.campaigns import link_submission  # a return of a round's year counts for its roster units

    _require(store, Action.UPLOAD, target="、".join(Path(p).name for p in args.files))
    overrides = Overrides(year=args.year, agency=args.agency, sector=args.sector, region=args.region, theme=args.theme)
    who = _who(store, args.who)
    ok, denied = True, False
    for path in args.files:
        result = ingest_file(path, name=Path(path).name, overrides=overrides)
        if not result.ok:
            print(f"{path}: 拒收 — {result.error}")
            ok = False
            continue
        try:
            outcome = store.import_result(result, Path(path).read_bytes(), overrides=overrides, who=who)
        except AccessDenied as exc:  # a file outside the account's scope: refused (and logged), the others go on
            print(f"{path}: 拒收 — {exc}", file=sys.stderr)
            denied = True
            continue
        ok = ok and outcome.status in ("imported", "duplicate")
        print(f"{path}: {_outcome_text(outcome)}")
        if outcome.status == "imported":
            for link in link_submission(store, outcome.submission_id, who=who):
                submitted = link.unit.name if link.status == "submitted" and link.unit is not None else None
                print(
                    f"  报送任务《{link.campaign.name}》:"
                    + (
                        f"{submitted} 已报待审"
                        if submitted
                        else link.message or f"名单中找不到或无法确定“{link.agency}”"
                    )
                )
    return EXIT_REFUSED if denied else 0 if ok else 1


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


def _demo(store: ScopedStore, args: argparse.Namespace) -> int:
    # Imported here: only this command needs the generator.
    from metrics.storage.demo import capacity, generate_returns

    _require(store, Action.UPLOAD, target="演示数据")
    # Every seed holds about 1.4 million records; counting them costs ~3 s, so only a large request is checked
    # (before anything is written: the generator would otherwise run out half-way through the import).
    if args.rows > 1_000_000 and args.rows > (most := capacity(seed=args.seed)):
        print(f"演示数据最多能生成 {most:,} 条记录,--rows {args.rows:,} 超出了;请改小 --rows", file=sys.stderr)
        return 2
    url = store.url
    started = time.perf_counter()
    outcomes = store.import_many(
        ((r.result, r.data) for r in generate_returns(args.rows, seed=args.seed)), who=_who(store, args.who)
    )
    count = {status: sum(o.status == status for o in outcomes) for status in ("imported", "duplicate", "refused")}
    records = sum(o.records for o in outcomes)
    where = sa.engine.make_url(url).render_as_string(hide_password=True)
    print(
        f"演示数据:生成 {len(outcomes)} 份报表,导入 {count['imported']} 份({records} 条记录),"
        f"已导入过 {count['duplicate']} 份,拒收 {count['refused']} 份;用时 {time.perf_counter() - started:.1f} 秒;"
        f"数据库 {where}"
    )
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


def _brief(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.analysis.query import filters_from_params, measures_in
    from metrics.briefing import packs  # only this command writes Office files

    out = Path(args.out)
    _require(store, Action.READ, target=out.name)
    frame = store.facts().frame  # the account's records only
    if frame.empty:
        principal = principal_of(store)
        where = "数据库里" if principal.sees_all else f"账号“{principal.display}”的范围({principal.scope.describe()})内"
        print(f"{where}还没有数据:请先用 import 导入报表(或 demo 生成演示数据)", file=sys.stderr)
        return 1
    params = {
        name: ",".join(str(v) for v in value) if isinstance(value, list) else value
        for name in ("year", "province", "city", "district", "sector", "agency")
        if (value := getattr(args, name))
    }
    if not {"province", "city", "district"} & params.keys():
        params.update(_scope_place(principal_of(store)))
    filters, notes = filters_from_params(params, frame)
    if notes:
        for note in notes:
            print(note.replace("链接中的", "参数中的").replace(",已忽略", ""), file=sys.stderr)
        return 1
    if args.approved:
        from metrics.collection.campaigns import approved_submissions

        filters = replace(filters, approved=True, submissions=approved_submissions(store))
    present = {m.key: m for m in measures_in(frame)}
    unknown = [m for m in args.metric or () if m not in present]
    if unknown:
        print(f"数据中没有这些指标:{'、'.join(unknown)};可用:{' '.join(present)}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    made = packs.make_pack(
        out.suffix.lower(),
        frame,
        filters,
        measures=args.metric,
        breakdowns=args.chart or DEFAULT_BREAKDOWNS,
        title=args.title,
        texts=store.record_details,
        maps=args.map,
    )
    if made.brief.record_count == 0:
        print("所选范围内没有数据,未生成文件", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.data)
    accounts.audit(
        store,
        "export",
        target=out.name,
        detail=f"{out.suffix.lower().lstrip('.')};简报,{made.brief.record_count} 条记录;范围:{made.brief.scope}",
    )
    print(
        f"{out}: {len(made.brief.charts)} 张图表,{'1 张地图,' if made.brief.map is not None else ''}"
        f"{made.brief.record_count} 条记录;"
        f"用时 {time.perf_counter() - started:.1f} 秒"
    )
    print(f"范围:{made.brief.scope}")
    for note in made.notes:
        print(note)
    return 0


def _scope_place(principal) -> dict[str, str]:
    """An account held to one region: that region as the brief's place, so its title and scope line name it
    (not 全部地区). The frame is already limited to the account; this only names what it covers."""
    from metrics.reading.regions import default_gazetteer

    scope = principal.scope
    if scope.everywhere or scope.units or len(scope.regions) != 1:
        return {}
    region = default_gazetteer().by_adcode(scope.regions[0])
    if region is None:
        return {}
    return {k: v for k, v in (("province", region.province), ("city", region.city), ("district", region.district)) if v}


CAMPAIGN_ACTIONS = {
    "create": Action.ROUNDS,
    "roster-import": Action.ROUNDS,
    "status": Action.READ,
    "list": Action.READ,
    "remind": Action.REVIEW,
    "template": Action.READ,
}


def _campaign(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns
    from metrics.reading.sniff import FileRefused

    _require(
        store,
        CAMPAIGN_ACTIONS[args.campaign_command],
        target=f"报送任务 {args.campaign_command}" + (f" 第 {args.campaign} 号" if hasattr(args, "campaign") else ""),
    )
    try:
        return {
            "create": _campaign_create,
            "roster-import": _campaign_roster,
            "status": _campaign_status,
            "list": _campaign_list,
            "remind": _campaign_remind,
            "template": _campaign_template,
        }[args.campaign_command](store, args)
    except campaigns.CampaignError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FileRefused as exc:
        print(f"{getattr(args, 'file', '')}: 拒收 — {exc.message}", file=sys.stderr)
        return 1


def _campaign_create(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns

    metrics = [m for m in (args.metrics or "").split(",") if m.strip()]
    if args.copy_from is not None:
        made = campaigns.copy_campaign(
            store,
            args.copy_from,
            year=args.year,
            due=args.due,
            grace_days=args.grace,
            name=args.name,
            who=_who(store, args.who),
        )
    else:
        if not args.name:
            print("请用 --name 给出任务名称(或用 --copy-from 从去年的任务复制)", file=sys.stderr)
            return 2
        made = campaigns.create_campaign(
            store,
            name=args.name,
            year=args.year,
            due=args.due,
            grace_days=args.grace or 0,
            theme=args.theme,
            period=args.period,
            metrics=metrics,
            who=_who(store, args.who),
        )
    units = len(campaigns.roster(store, made.id))
    if args.json:
        _dump({**made.to_dict(), "units": units})
    else:
        copied = f",从第 {made.copied_from} 号任务复制({units} 个应报单位)" if made.copied_from else ""
        print(
            f"已创建第 {made.id} 号报送任务《{made.name}》:{made.year} 年,截止 {made.due_date},"
            f"宽限 {made.grace_days} 天(最晚 {made.last_on_time_day} 算按时){copied}"
        )
    return 0


def _campaign_roster(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns

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
        print(
            f"{args.file}: 新增 {done.added} 个单位,更新 {done.updated} 个;"
            f"未导入 {sum(i.level == 'error' for i in done.issues)} 行"
        )
        for issue in done.issues:
            print(f"  {issue.where} [{issue.code}] {issue.message}")
    return 1 if any(i.level == "error" for i in done.issues) else 0


def _campaign_template(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns

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


def _campaign_status(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns, completeness
    from metrics.collection.completeness import percent

    report = completeness.build(store, args.campaign)
    if args.json:
        _dump(report.to_dict())
        return 0
    overall, camp = report.overall, report.campaign
    print(
        f"第 {camp.id} 号《{camp.name}》截止 {camp.due_date}(宽限 {camp.grace_days} 天):"
        f"应报 {overall.expected},已报 {overall.reported}(报送率 {percent(overall.reporting_rate)}),"
        f"按时 {overall.on_time}(按时率 {percent(overall.on_time_rate)}),迟报 {overall.late},"
        f"已审核 {overall.approved}"
    )
    print("  " + ",".join(f"{name} {n}" for name, n in overall.counts.items()))
    for unit in report.units:
        if unit.status == campaigns.Status.NOT_REPORTED or unit.late or unit.status == campaigns.Status.RETURNED:
            flags = [str(unit.status)] + ([campaigns.LATE] if unit.late else []) + (["逾期"] if unit.overdue else [])
            note = f":{unit.comment}" if unit.comment else ""
            print(f"  {unit.unit.name}  {' '.join(flags)}{note}")
    return 0


def _campaign_remind(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection.reminders import make_reminder

    out = Path(args.out)
    made = make_reminder(
        store,
        args.campaign,
        out.suffix,
        office=args.office,
        contact=args.contact,
        who=_who(store, args.who),
        record=False,
    )
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


def _campaign_list(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.collection import campaigns

    found = campaigns.list_campaigns(store)
    if args.json:
        _dump([c.to_dict() for c in found])
    for c in [] if args.json else found:
        print(f"{c.id}  {c.year}  {c.name}  截止 {c.due_date}  宽限 {c.grace_days} 天")
    return 0


# ---- accounts and the audit log ------------------------------------------------------------------------
def _user(store: ScopedStore, args: argparse.Namespace) -> int:
    try:
        return {"add": _user_add, "set": _user_set, "list": _user_list}[args.user_command](store, args)
    except ValueError as exc:  # the account's settings are refused (the message says why); nothing saved
        print(str(exc), file=sys.stderr)
        return 1


def _user_add(store: ScopedStore, args: argparse.Namespace) -> int:
    if accounts.has_accounts(store):  # the first account needs no login: it is the one that turns login on
        _require(store, Action.USERS, target=args.name)
    scope = Scope.parse(args.region or (), args.unit or ()) if (args.region or args.unit) else None
    password = None if args.oidc else _new_password(args.name)
    made = accounts.add_user(
        store, name=args.name, role=args.role, display=args.display, scope=scope, password=password, source=SOURCE
    )
    login = "统一身份认证(以电子邮箱登录)" if args.oidc else "本地密码"
    print(f"已新增账号“{made.name}”({made.display}):{made.role.zh},范围 {made.scope.describe()},{login}")
    return 0


def _user_set(store: ScopedStore, args: argparse.Namespace) -> int:
    _require(store, Action.USERS, target=args.name)
    old = accounts.get_user(store, args.name)
    if old is None:
        print(f"没有用户“{args.name}”;新增请用 python -m metrics user add", file=sys.stderr)
        return 1
    scope = None
    if args.region is not None or args.unit is not None:  # each given option replaces its part of the scope
        regions = (
            args.region
            if args.region is not None
            else ((["全国"] if old.scope.everywhere else []) + list(old.scope.regions))
        )
        scope = Scope.parse(regions, args.unit if args.unit is not None else old.scope.units)
    password = _new_password(args.name) if args.password else None
    done = accounts.change_user(
        store,
        args.name,
        role=args.role,
        display=args.display,
        scope=scope,
        password=password,
        active=args.active,
        unlock=args.unlock,
        source=SOURCE,
    )
    state = "启用" if done.active else "停用"
    print(
        f"已修改账号“{done.name}”({done.display}):{done.role.zh},范围 {done.scope.describe()},{state}"
        + (",已重设密码" if password is not None else "")
        + (",已解锁" if args.unlock else "")
    )
    return 0


def _new_password(name: str) -> str:
    """A new account's password: $OUTREACH_NEW_PASSWORD (scripts), else typed twice without echo."""
    given = os.environ.get(NEW_PASSWORD_VARIABLE)
    if given is not None:
        return given
    first = _ask(f"账号“{name}”的新密码(至少 {accounts.MIN_PASSWORD} 位):")
    second = _ask("再输入一次:") if first is not None else None
    if first is None or second is None:
        raise ValueError("未输入密码,账号未保存")
    if first != second:
        raise ValueError("两次输入的密码不一致,账号未保存")
    return first


def _user_list(store: ScopedStore, args: argparse.Namespace) -> int:
    _require(store, Action.USERS, target="账号列表")
    found = accounts.list_users(store)
    if args.json:
        _dump([{**a.to_dict(), "locked_until": _beijing(a.locked_until) or None} for a in found])
        return 0
    for a in found:
        flags = ([] if a.active else ["已停用"]) + ([f"锁定至 {_beijing(a.locked_until)}"] if _locked(a) else [])
        print(
            f"{a.name}  {a.display}  {a.role.zh}  范围:{a.scope.describe()}  "
            f"{'本地密码' if a.local else '统一身份认证'}  最近登录:{_beijing(a.last_login) or '从未'}"
            + ("  " + " ".join(flags) if flags else "")
        )
    return 0


def _locked(account: accounts.Account) -> bool:
    if not account.locked_until:
        return False
    return dt.datetime.fromisoformat(account.locked_until) > dt.datetime.now(dt.UTC)


BEIJING = dt.timezone(dt.timedelta(hours=8))
AUDIT_COLUMNS = {
    "at": "时间(北京时间)",
    "who": "账号",
    "role": "角色",
    "action": "操作",
    "ok": "结果",
    "submission_ids": "报表编号",
    "target": "对象",
    "detail": "详情",
    "source": "来源",
}


def _beijing(stamp: str | None) -> str:
    """A stored UTC time as Beijing wall-clock time, to the second."""
    if not stamp:
        return ""
    return dt.datetime.fromisoformat(stamp).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _audit(store: ScopedStore, args: argparse.Namespace) -> int:
    from metrics.core.safe_export import csv_bytes, xlsx_bytes

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        print(f"无法导出“{out.name}”:文件扩展名须为 .xlsx 或 .csv", file=sys.stderr)
        return 2
    _require(store, Action.AUDIT, target=out.name if out else "操作日志")
    found = accounts.search_audit(
        store, who=args.who, action=args.action, since=args.since, until=args.until, text=args.text, limit=None
    )
    if args.json:
        _dump(
            [
                {
                    **row,
                    "at": _beijing(row["at"]),
                    "ok": bool(row["ok"]),
                    "action_zh": accounts.AUDIT_ACTIONS.get(row["action"], row["action"]),
                }
                for row in found.drop(columns="id").to_dict("records")
            ]
        )
        return 0
    table = _audit_table(found)
    if out is None:
        for row in table.itertuples(index=False):
            print("  ".join(str(v) for v in row if str(v)))
        print(f"共 {len(table)} 条")
        return 0
    data = (
        xlsx_bytes({"操作日志": table}, widths={"操作日志": (20, 14, 8, 12, 6, 12, 30, 60, 16)})
        if out.suffix.lower() == ".xlsx"
        else csv_bytes(table)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    accounts.audit(
        store, "export", target=out.name, detail=f"{out.suffix.lower().lstrip('.')};操作日志 {len(table)} 条"
    )
    print(f"{out}: 操作日志 {len(table)} 条")
    return 0


def _audit_table(found: pd.DataFrame) -> pd.DataFrame:
    """The audit log as people read it: Beijing time, Chinese role and action names, 成功/被拒."""
    table = found.drop(columns="id").copy()
    table["at"] = [_beijing(v) for v in table["at"]]
    table["role"] = [Role(v).zh if v else "" for v in table["role"]]
    table["action"] = [accounts.AUDIT_ACTIONS.get(v, v) for v in table["action"]]
    table["ok"] = ["成功" if v else "失败" for v in table["ok"]]
    return table[list(AUDIT_COLUMNS)].rename(columns=AUDIT_COLUMNS)


def _dump(payload: object) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=1, default=_json_default)
    sys.stdout.write("\n")


def _text_line(result: FileResult) -> str:
    if not result.ok:
        return f"{result.file}: 拒收 — {result.error}"
    levels = [i.level for i in result.issues]
    return (
        f"{result.file}: {result.stats.records} 条记录,{result.stats.sheets} 个工作表;"
        f"错误 {levels.count('error')},警告 {levels.count('warning')},提示 {levels.count('info')};"
        f"用时 {result.stats.seconds:.2f} 秒"
    )


def _json_default(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)
