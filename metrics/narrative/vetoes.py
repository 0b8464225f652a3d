"""Whether a number a metric word names counts as the body's own work this campaign.

Correctness over recall: ordinals, sessions, redacted figures, hotlines, counts of kinds or of other things,
plans, comparisons, other years, sub-items of a breakdown and figures of another body give nothing.
"""

from __future__ import annotations

import re

from metrics.catalog import MetricDef

# A measure word followed by one of these counts things that are not the metric: 12个单位, 3家企业.
_NOT_THE_OBJECT = ("单位", "企业", "支公司", "分公司", "公司", "分行", "支行", "门店", "营业厅", "营业所", "景区", "酒店", "家庭", "学校", "中学", "小学", "志愿者", "媒体", "商场", "超市", "网点", "社区",
                   "部门", "科室", "品种", "规格", "工地", "茶楼", "行业", "协会", "委员", "代表", "乡镇", "街道",
                   "县", "区", "市", "省", "所", "组", "名", "位", "栏目", "专栏", "版面", "展板", "横幅", "标语",
                   "阶段", "方面", "步骤", "环节", "重点", "主题", "疑难", "典型", "月", "多月", "小时", "工作日", "天",
                   "多天", "年", "多年", "周", "星期", "批次")
TOTAL_WORDS = ("共计", "累计", "合计", "合共", "共", "达")
_PLANNED = re.compile("将(?!近)|拟|计划|准备|预计|力争|争取|目标")
COMPARED = re.compile("同比|环比|较上年|较去年|较同期|比去年|比上年|比同期|较(?:19|20)[0-9]{2}年|去年|上年|上一年|同期|"
                       "人均|平均|户均|场均|每[场人次件户家个天日期位名]|最高|最低|单笔|单次|涉及(?!货值|标值)|"
                       "增加|减少|增长|下降|上升|提高|降低|增幅|降幅")
_FOREIGN = re.compile("新台币|台币|港币|港元|澳门币|澳门元|美元|欧元|日元|英镑")
_NOT_DONE = ("正在", "尚在", "待", "未", "百分点")
PEOPLE = ("学生", "师生", "群众", "消费者", "市民", "居民", "村民", "老人", "老年人", "职工", "青少年", "儿童", "家长",
           "游客", "农民", "客户", "储户", "投保人", "旅客", "妇女", "听众", "观众")
_KIND_COUNTERS = ("个", "种", "类", "款", "项", "家")  # what kinds are counted in; 条, 千克 count goods
_AFTER_UNIT = re.compile("以上|左右")
_BODY_AFTER = re.compile("[\u4e00-\u9fff]{0,4}?(?:海关|分局|分行|支行|银行|分公司|支公司|局|消委会|消保委|消协|协会|委员会|司法所|"
                         "监管所)")  # the bodies 6个隶属海关 counts; not 场所 or 网点, which are inspected
_KINDS_BEFORE = re.compile("(?:品牌|品种|种类|类别|规格|款式|型号)(?:共|达|约)?$")  # 涉及卷烟品牌40余个
_VIEWS_BEFORE = re.compile("(?:阅读|浏览|点击|播放|转发|点赞|访问)(?:量|数|次数)?(?:超过|达到|达|逾|共|近|约)?$")


def plausible(clause: str, number: re.Match[str], unit_end: int, names: list, words: dict) -> bool:
    """Not an ordinal, a session, a redacted or partly redacted figure, a hotline, or a count of other things."""
    before = clause[max(0, number.start() - 1):number.start()]
    if number.group("num") in ("一", "每") or before in ("第", "_", "x", "X", "届", "年", "/", ".", "-", "每") \
            or clause.startswith("届", unit_end):  # 一个、一场讲座: an article, not a count
        return False
    if number.group("pre") is None and before.isdigit():
        return False
    if clause[unit_end:unit_end + 1] in ("种", "类", "届") or clause.startswith("期间", unit_end):
        return False
    if before == "等" and clause.startswith("项", unit_end - 1):
        return False  # 甲醛等12项: the kinds of a list
    if _PLANNED.search(clause, 0, number.start()):
        return False  # 将举办三项活动: not yet done
    if clause.startswith("元", unit_end - 1) and _FOREIGN.search(clause, 0, number.start()):
        return False  # 新臺幣1,236萬元: not renminbi
    if COMPARED.search(clause, 0, number.start()) or clause.startswith(_NOT_DONE, unit_end):
        return False  # 同比增加50件, 去年同期98件, 人均500元, 每场200人次; 2件正在处理中
    if (number.group("pre") not in TOTAL_WORDS and clause[unit_end - 1:unit_end] in _KIND_COUNTERS
            and _KINDS_BEFORE.search(clause, 0, number.start())) or _VIEWS_BEFORE.search(clause, 0, number.start()):
        return False  # 品牌40余个 counts kinds (规格2356.3条 does not); 阅读量1.1万次 counts readers of a post
    unit_end += len(qualifier(clause, unit_end))  # 1200名以上学生: what follows the qualifier
    if any(s == unit_end for s, _, _ in names) or clause.startswith(PEOPLE, unit_end):
        return True  # 50名志愿者, 2000余名市民: the metric's own word or people follow
    thing = next((word for word in _NOT_THE_OBJECT if clause.startswith(word, unit_end)), None)
    if thing is None and clause[unit_end - 1:unit_end] in ("个", "家") and _BODY_AFTER.match(clause, unit_end) \
            and not any(e <= number.start() and any(m.id == "inspections" for m in named) for _, e, named in names):
        return False  # 所属6个隶属海关, 3家县级分局: a count of bodies (检查6家银行网点: the bodies inspected)
    return thing is None or _verb_object(clause, number.start(), thing, names, words)


def qualifier(clause: str, unit_end: int) -> str:
    """以上 / 左右 written after the unit (1200名以上, 3万份左右): part of the number."""
    found = _AFTER_UNIT.match(clause, unit_end)
    return found.group(0) if found else ""


def _verb_object(clause: str, start: int, thing: str, names: list, words: dict) -> bool:
    """检查41家次企业: the word before the number and the thing after it make one catalog phrase (检查企业)."""
    before = [(s, e) for s, e, _ in names if e <= start]
    return bool(before) and clause[before[-1][0]:before[-1][1]] + thing in words


def glued(norm: str, at: int, sentence_start: int) -> bool:
    """1,20份 / 1e20份 / 3~5件 / 3至5场: the number is the tail of something else, not a count."""
    before = norm[max(sentence_start, at - 2):at]
    return bool(before) and (before[-1].isdigit() or before[-1] in "eE~～至到-—−" or before[-1].isascii()
                             and before[-1].isalpha() or (before[-1] == "," and before[:1].isdigit()))


def own_work(metric: MetricDef, clause: str, sentence: str, number: re.Match[str]) -> bool:
    """Whether the number is the body's own work this campaign, not exposed cases, kinds, or a multi-year total."""
    if unit_is_kind(metric, clause, number):
        return False
    veto = _NOT_OWN.get(metric.id)
    if veto is not None and veto.search(clause):
        return False
    if "累计" in clause and _YEARS_LONG.search(sentence):
        return False  # 连续三年…累计已发放30000多册
    if _MANY_YEARS.search(clause, 0, number.start()):
        return False  # 近三年来全市查获的1427起涉烟案件
    if _BREAKDOWN.search(sentence, 0, sentence.find(clause) + number.start() if clause in sentence else len(sentence)):
        return False  # 从类别看 / 依次是预付式消费(2814件): a breakdown of a total
    # 查办重特大案件4件, 大要案5件: a kind of case, a part of the cases total (stated or not), never its own record
    severe = _SEVERE_CASES.search(clause, max(0, number.start() - 12), number.start()) \
        or _SEVERE_CASES.search(clause, number.end(), number.end() + 8)
    return not (metric.id == "cases" and severe)  # the word before the number or right after it: 查办5件大要案件


def unit_is_kind(metric: MetricDef, clause: str, number: re.Match[str]) -> bool:
    """七项活动 are programme lines, not events held."""
    unit_end = number.end()
    return any(clause.startswith(unit, unit_end) for unit in _KIND_UNITS.get(metric.id, ()))


_GIFTS = re.compile("购物袋|环保袋|手提袋|纪念品|礼品|雨伞|围裙|扇子|纸巾|水杯|毛巾|口罩|钥匙扣")
_SHOWN = re.compile("展出|展示|展览|图片")  # goods exhibited, not destroyed
_NOT_OWN = {"cases": re.compile("揭露|曝光|批评|点评|通报|移送|据此|理赔案|赔案"),  # exposed, transferred, another body's,
            # an insurer's claims (理赔案件) are its business, not cases handled
            "fines": re.compile("据此"),
            # 各类诉求 are requests of every kind; 受理意见建议 are suggestions, unless complaints are named too
            "complaints_received": re.compile("诉求(?!.*投诉)|^(?!.*(?:投诉|举报|申诉)).*(?:意见|建议)"),
            "destroyed_qty": _SHOWN,
            "destroyed_value": _SHOWN,
            "tests": re.compile("不合格|合格|阳性|超标|比较试验|比较实验"),  # a part of what was tested; a council's
            "volunteers": re.compile("队伍|累计|现有|注册"),  # comparative testing is no free test; a roster
            # information submitted upward and adopted (采用信息2条) is no press; a story a paper ran (采用报道) is
            "media_reports": re.compile("(?:采用|采纳|报送|上报)[^,;]{0,4}信息|信息[^,;]{0,6}(?:采用|采纳|报送|上报)"),
            "participants": re.compile(r"等奖|获奖|奖(?:共|达)?[0-9一二三四五六七八九十两]"),  # prize winners
            "materials": _GIFTS}  # 环保购物袋500个 are promotional goods
_KIND_UNITS = {"events": ("项",)}  # 七项活动: programme lines
_YEARS_LONG = re.compile(r"连续[0-9一二三四五六七八九十两]+年|多年|历年|以来|至今|近年来|近几年")
_MANY_YEARS = re.compile(r"近[0-9一二三四五六七八九十两几]+年|多年来|历年|连续[0-9一二三四五六七八九十两]+年|成立以来|建会以来|至今")
_BREAKDOWN = re.compile(r"从[^,;。]{1,14}看|按[^,;。]{0,10}(?:分|划分|统计)|集中在|主要集中|集中于"
                        r"|依次是|依次为|排名前|居前")  # 从商品和服务类别看,商品类投诉2274件: a share of the total
_SEVERE_CASES = re.compile("(?:重特大|特别重大|特大|重大|较大|大要|要|典型)(?:违法|涉烟|经济|刑事|侵权)?案")
