"""Who wrote a report: the reporting body as the text names it, its place, and another body the text quotes.

A name is taken only when it is well formed (a place or known prefix, then a known agency-type ending);
otherwise the agency is left blank for the reviewer, never guessed.
"""

from __future__ import annotations

import re
from collections import Counter

from metrics.dimensions import infer_sector
from metrics.regions import Gazetteer, Region, default_gazetteer

_AGENCY = re.compile(
    r"(?:分行|支行|银行|消费者权益保护委员会|消费者保护委员会|保护消费者权益委员会|消费者委员会|消保委|消委会|消费者协会|消协|"
    r"市场监督管理局|市场监管局|工商行政管理局|工商局|质量技术监督局|质监局|检验检疫局|烟草专卖局|烟草公司|司法所|"
    r"分公司|支公司|保险公司|人民政府|管理所|市场监管所|监管局|管理局|司法局|海关|街道办事处|分局|"
    r"公安局|教育局|商务局|供电公司|电力公司|通信公司|行业协会|基金会|"
    r"局|公司|委员会|协会|学校|中学|小学|学院)"  # these last only after a place: 平江县教育局, 国网芜湖供电公司
)
_AGENCY_NEEDS_PLACE = ("局", "公司", "委员会", "协会", "学校", "中学", "小学", "学院", "行业协会")
# How a report speaks of itself, and the endings its own name may then have (我公司: not 保险行业协会).
_SELF_TYPES = (("我公司", ("公司",)), ("我司", ("公司",)), ("我行", ("行",)), ("我局", ("局",)),
               ("本会", ("会", "委")), ("我会", ("会", "委")))
_AGENCY_LEAD = re.compile(r"^.*(?:为了|为|由|据|根据|按照|关于|围绕|转发|在|以|和|与|及|、|的|是|了|联合|会同|组织|号召|同时|我|年|月|日|"
                          r"利用|通过|依托|深入|走进|进入|到|向|对|给|经|将|把|被|请|邀请|协助|配合|从|自|获悉|记者|下称|简称|"
                          r"转介|移交|移送|转交|交由)")


def find_agency(body: str, gazetteer: Gazetteer | None = None) -> str | None:
    """The reporting body as the text names it: the first full name (place or brand + type), joint names kept
    together (九江市工商行政管理局、九江市消费者权益保护委员会); redacted or generic names (__市, 我局, 各级消保委)
    are no name. When the text speaks of itself as 我市/我县, a name at that level wins."""
    gazetteer = gazetteer or default_gazetteer()
    names: list[tuple[int, int, str, int]] = []  # start, end, name, rank
    said = Counter()
    for word, lvl in _SELF_LEVEL:
        said[lvl] += body.count(word) * (3 if word.startswith("我") else 1)
    level = said.most_common(1)[0][0] if sum(said.values()) else None
    own_types = next((types for word, types in _SELF_TYPES if body.count(word) >= 2), ())
    for match in _AGENCY.finditer(body):
        lead = re.search(r"[\u4e00-\u9fff]{0,24}$", body[max(0, match.start() - 24):match.start()]).group(0)
        prefix = _AGENCY_LEAD.sub("", lead)
        place = gazetteer.find_in_text(prefix)
        if match.group(0) in _AGENCY_NEEDS_PLACE and not place.ok:
            anchored = gazetteer.find_in_text(lead)  # 桂林市文化广电和旅游局: 和 belongs to the name
            if anchored.ok and anchored.matched and anchored.matched in lead:
                prefix, place = lead[lead.rfind(anchored.matched):], anchored
        if re.search(r"(?:转介|移交|移送|转交|交由|报请)[^\n]{0,4}$", body[max(0, match.start() - len(prefix) - 6):
                                                                      match.start() - len(prefix)]) \
                or (body.startswith(_ISSUER_AFTER, match.end()) and "\n" in body[:match.start()].lstrip()):
            continue  # 个案已转介香港海关; 荆州市邮政管理局关于…的通知: another body, not the one reporting
        if (len(prefix) < 2 or body[match.start() - len(prefix) - 1:match.start() - len(prefix)] == "_"
                or prefix.startswith(_GENERIC_LEAD) or prefix in _GENERIC_PREFIX or any(w in prefix for w in _GENERIC_INSIDE)
                or body[match.end():match.end() + 1] in ("业", "卡", "系", "界", "网")  # 银行业, 人民政府网
                or re.search(r"(?:来源|稿源|转载|编辑|作者)[::]?[^\n]*$", body[max(0, match.start() - 30):match.start()])):
            continue
        opened = body.rfind("《", 0, match.start())
        if opened > body.rfind("》", 0, match.start()):  # inside a document's title: its own plan, not a rule
            title = body[opened:body.find("》", match.end()) if "》" in body[match.end():] else len(body)]
            if not re.search("方案|计划|安排|总结", title) or re.search("办法|条例|规定|通知|意见|法$", title):
                continue
        start = match.start() - len(prefix)
        if names and start <= names[-1][0] < match.end():  # 华夏银行 then 华夏银行吉安分行: the longer name
            names.pop()
        if names and names[-1][1] + 1 == start and body[start - 1] in "\u3001 \u3000":  # 甲局、乙局 / 甲局 乙局
            names[-1] = (names[-1][0], match.end(), names[-1][2] + "\u3001" + prefix + match.group(0), names[-1][3])
            continue
        region = place.region if place.ok else None
        if region is None and match.group(0) in _AGENCY_NEEDS_PLACE:
            continue
        rank = 0 if region is not None and (level is None or region.level == level) else 1 if region else 2
        if match.group(0) in _AGENCY_NEEDS_PLACE:
            rank += 2  # a school or an association named in a council's report took part; it did not report
        if "\n" not in body[:start].lstrip():  # named in the title line: the report's own body
            rank = -1
        if own_types and not (prefix + match.group(0)).endswith(own_types):
            continue
        names.append((start, match.end(), prefix + match.group(0), rank))
    for town in re.finditer(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,4}[镇乡])(?=[0-9“\"]|人民政府|党委)", body):
        if "我" + town.group(1)[-1] in body:  # 我镇 … 新马集镇3.15活动领导组
            names.append((town.start(1), town.end(1), town.group(1), 1))
    if not names:
        return None
    chosen = min(names, key=lambda n: (n[3], n[0]))[2]
    # 湖州市消保委 in the title, 湖州市消费者权益保护委员会 in the text: the full name of the same body
    fuller = [n[2] for n in names if len(n[2]) > len(chosen) and "\u3001" not in n[2]
              and (n[2][:2] == chosen[:2] or (n[2][-6:] == chosen[-6:] and chosen not in n[2]))
              and infer_sector(n[2]) == infer_sector(chosen)]
    chosen = max(fuller, key=len) if fuller and "\u3001" not in chosen else chosen
    return chosen if well_formed_agency(chosen, gazetteer) else None  # blank, never a wrong name


def well_formed_agency(name: str, gazetteer: Gazetteer | None = None) -> bool:
    """Whether every body of a (joint, 、-separated) name is a well-formed agency name: a place (from the
    gazetteer, anywhere before the type: 中国农业银行绍兴越城支行), a known prefix (中国, 国网, 财团法人…) or a
    short place name of two to four characters (中山海关, 汤溪市场监管所), then optional qualifiers, then a known
    agency-type ending (局, 消委会, 分行…, or 镇/乡 for a town) — and no verb or function word anywhere before the
    ending (下称, 报告, 情况, 关于, 开展…), no digit, no level word standing alone as the place (区市场监管局)."""
    gazetteer = gazetteer or default_gazetteer()
    for part in name.split("\u3001"):
        ending = _AGENCY_END.search(part)
        if ending is None:
            return False
        prefix = part[:ending.start()]
        if len(prefix) < 2 or _NOT_IN_NAME.search(prefix) or not re.fullmatch(r"[\u4e00-\u9fff()()·]+", prefix) \
                or prefix.startswith(_GENERIC_LEAD) or prefix in _GENERIC_PREFIX:
            return False
        place = gazetteer.find_in_text(part)
        if not (place.ok or prefix.startswith(_KNOWN_PREFIXES) or len(prefix) <= 4):
            return False
    return True


_AGENCY_END = re.compile(f"(?:{_AGENCY.pattern}|[镇乡])$")
# Words that never stand inside an agency's name: a reference (下称, 简称), a title (情况报告, 关于…), an act.
_NOT_IN_NAME = re.compile("下称|简称|以下|称|报告|情况|关于|开展|活动|总结|通知|举办|召开|印发|发布|期间|今年|我们|"
                          "本次|此次|通过|参加|参与|进行|为了|根据|按照")  # not 工作/联合: 老龄工作委员会 is a name
_KNOWN_PREFIXES = ("中国", "中华", "国网", "国家电网", "财团法人", "社团法人", "香港", "澳门", "台湾", "全国")
_ISSUER_AFTER = ("关于", "统一部署", "的部署", "的要求", "要求", "印发")
_SELF_LEVEL = (("我省", "province"), ("全省", "province"), ("我市", "city"), ("全市", "city"), ("我县", "district"),
               ("我区", "district"), ("全县", "district"), ("全区", "district"))
_GENERIC_LEAD = ("我", "本", "该", "各", "全", "使", "相关", "有关", "中消协", "中国消费者协会", "社区", "市", "省", "县", "区", "今年",
                 "上级", "下级", "一是", "二是", "三是")
_GENERIC_INSIDE = ("该", "本", "我", "各", "社区", "辖内", "网点", "下属", "宣传", "网上")
_GENERIC_PREFIX = ("各级", "各地", "本级", "辖内", "辖区", "当地", "基层", "人行", "人民", "中国")


def report_place(agency: str | None, body: str, gazetteer: Gazetteer | None) -> Region | None:
    """The agency's place; else one the opening lines name in full (中牟县, not 镇安 in 镇安全生产办公室)."""
    gazetteer = gazetteer or default_gazetteer()
    if agency:
        match = gazetteer.find_in_text(agency)
        if match.ok and match.region is not None:
            return match.region
    match = gazetteer.find_in_text(body[:300])
    if match.ok and match.region is not None and (match.matched or "").endswith(_PLACE_SUFFIXES):
        return match.region
    return None


_PLACE_SUFFIXES = ("省", "市", "县", "区", "州", "旗", "盟", "自治区")


def another_body_quoted(sentence: str, agency: str | None) -> int | None:
    """Where a clause opening with 据<a body>通报/统计/公布 starts quoting that body's figures; None when there is
    none or the body is of the report's own sector (据区市场监管局统计 in a bureau's report). 据统计 names no body."""
    for quoted in _QUOTED.finditer(sentence):
        body = quoted.group(1)
        if re.search(f"(?:{_AGENCY.pattern})$", body) and not body.startswith(("我", "本")) \
                and (agency is None or infer_sector(body) != infer_sector(agency)):
            return quoted.start()
    return None


_QUOTED = re.compile(r"(?:^|(?<=[,;]))\s*(?:另|此外|同时)?据([\u4e00-\u9fff]{2,20}?)(?:通报|统计|公布|介绍|提供|发布|反馈|数据|消息)")
