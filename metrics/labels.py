"""Every label the interface shows, in Chinese and English, in one place.

Pages call ``t(key, lang)``; a test checks that every key a page uses exists here in both languages.
Data (agency names, places, themes) is never translated: it is shown as the returns wrote it.
"""

from __future__ import annotations

LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("3·15 活动数据看板", "3·15 Outreach Dashboard"),
    "app.lang_names": ("中文", "English"),
    "app.lang": ("语言 / Language", "语言 / Language"),
    "nav.upload": ("数据上报", "Upload returns"),
    "nav.overview": ("总览", "Overview"),
    "nav.agencies": ("单位对比", "Agencies"),
    "nav.themes": ("主题与活动", "Themes & activities"),
    "nav.regions": ("地区", "Regions"),
    "nav.trends": ("趋势", "Trends"),
    "nav.details": ("明细", "Records"),
    "nav.quality": ("数据质量", "Data quality"),
    "nav.briefing": ("简报导出", "Briefing pack"),
    # sidebar filters
    "filters.title": ("筛选", "Filters"),
    "filters.year": ("年度", "Years"),
    "filters.province": ("省份", "Province"),
    "filters.city": ("城市", "City"),
    "filters.district": ("区县", "District"),
    "filters.sector": ("系统", "Sector"),
    "filters.agency": ("单位", "Agency"),
    "filters.theme": ("主题", "Theme"),
    "filters.activity": ("活动形式", "Activity"),
    "filters.metric": ("指标", "Metrics"),
    "filters.all": ("全部", "All"),
    "filters.clear": ("清除筛选", "Clear filters"),
    "filters.approved": ("仅已审核报表", "Approved returns only"),
    "filters.approved_help": ("只计入报送任务中已审核或已锁定单位的报表;未建立报送任务时没有报表可计入",
                              "Count only the returns of units whose round stands at approved or locked; "
                              "with no collection round set up, no return counts"),
    "common.coverage": ("报送任务“{campaign}”:应报{expected}家,本页数字涵盖其中{covered}家",
                        "Round “{campaign}”: {covered} of its {expected} expected units are in these numbers"),
    "briefing.approved": ("仅已审核报表(报送任务中已审核或已锁定的单位)",
                          "Approved returns only (units approved or locked in a collection round)"),
    "briefing.approved_count": ("已审核报表 {n} 份", "{n} approved returns"),
    "filters.records": ("当前筛选:{n} 条记录", "In view: {n} records"),
    "filters.link": ("复制浏览器地址即可分享当前视图", "Copy the browser address to share this view"),
    # common
    "common.empty": ("数据库里还没有数据。", "The database is empty."),
    "common.no_match": ("当前筛选下没有数据,请放宽筛选条件。", "Nothing matches the filters; widen them."),
    "common.load_samples": ("载入示例报表", "Load the sample returns"),
    "common.samples_help": ("示例报表位于 data/samples/,按正常上报流程导入,可随时在“明细”页删除。",
                            "Sample returns from data/samples/ go through the normal import; delete them on the "
                            "Records page."),
    "common.samples_who": ("示例", "sample"),
    "common.samples_done": ("已导入 {n} 份示例报表。", "Imported {n} sample returns."),
    "common.or_upload": ("或到“数据上报”页上传报表。", "Or upload returns on the Upload page."),
    "common.measure": ("指标", "Metric"),
    "common.value": ("数值", "Value"),
    "common.unit": ("计量单位", "Unit"),
    "common.total": ("合计", "Total"),
    "common.numbers": ("数据", "Numbers"),
    "common.year": ("年度", "Year"),
    "common.agency": ("单位", "Agency"),
    "common.sector": ("系统", "Sector"),
    "common.theme": ("主题", "Theme"),
    "common.activity": ("活动形式", "Activity"),
    "common.province": ("省份", "Province"),
    "common.city": ("城市", "City"),
    "common.district": ("区县", "District"),
    "common.date": ("日期", "Date"),
    "common.file": ("文件", "File"),
    "common.source": ("来源单元格", "Source cell"),
    "common.raw": ("原文", "As written"),
    "common.where": ("位置", "Where"),
    "common.code": ("代码", "Code"),
    "common.message": ("说明", "Message"),
    "common.issue": ("问题", "Issue"),
    "common.records": ("记录", "Records"),
    "common.status": ("状态", "Status"),
    "chart.unit": ("单位:{unit}", "Unit: {unit}"),
    "chart.total": ("合计", "Total"),
    "chart.no_data": ("暂无数据", "No data"),
    "chart.top": ("{title}(前{n}名)", "{title} (top {n})"),
    "details.agencies": ("{n}家:{names}", "{n} agencies: {names}"),
    "common.imported_at": ("导入时间(北京时间)", "Imported at (Beijing time, UTC+8)"),
    "common.who": ("上报人", "By"),
    "common.by_sector_file": ("{name}_按系统", "{name}_by_sector"),
    "common.by_region_file": ("{name}_按地区", "{name}_by_region"),
    "common.by_year_file": ("{name}_按年度", "{name}_by_year"),
    "common.click_filter": ("点击图中的条形可按该项筛选。", "Click a bar to filter by it."),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.kpi_year": ("{year} 年,与上一年相比", "{year}, compared with the year before"),
    "overview.kpi_years": ("所选年度合计,与各前一年相比", "Selected years, compared with one year earlier"),
    "overview.by_sector": ("按系统", "by sector"),
    "overview.by_region": ("按地区", "by region"),
    "overview.by_year": ("按年度", "by year"),
    "overview.chart_title": ("{years} {name} {by}", "{name} {by}, {years}"),
    "overview.year_skipped": ("{latest}年目前{now}家单位报送,不足上年{before}家的一半,默认显示{year}年(可在侧栏选{latest}年)",
                              "Only {now} units have reported {latest} so far, under half of the {before} the year "
                              "before: showing {year} (pick {latest} in the sidebar to see it)"),
    # year-on-year comparison (同口径: units that reported both years)
    "compare.same": ("{before}家中{both}家已报,同口径比较", "{both} of {before} units reported; like-for-like"),
    "compare.too_few": ("仅{before}家中{both}家报送,暂不比较", "Only {both} of {before} units reported; not compared"),
    "compare.all": ("全部单位:{change}", "All units: {change}"),
    "compare.all_none": ("全部单位:无上年数", "All units: no figure the year before"),
    "common.year_one": ("{year}年", "{year}"),
    "common.year_span": ("{first}—{last}年", "{first}–{last}"),
    "common.year_list": ("{years}年", "{years}"),
    # agencies
    "agencies.title": ("单位对比", "Agencies compared"),
    "agencies.ranking": ("{measure} 单位排名", "{measure}: agencies ranked"),
    "agencies.table": ("单位 × 指标", "Agency × metric"),
    "agencies.top": ("显示前几名", "Show top"),
    # themes
    "themes.title": ("主题与活动", "Themes and activities"),
    "themes.by_theme": ("{measure} 按主题", "{measure} by theme"),
    "themes.by_activity": ("{measure} 按活动形式", "{measure} by activity"),
    "themes.table": ("活动形式 × 指标", "Activity × metric"),
    # regions
    "regions.title": ("地区", "Regions"),
    "regions.hierarchy": ("{measure} 地区分布", "{measure} by region"),
    "regions.ranked": ("{measure} 按{level}排名", "{measure}: {level} ranked"),
    "regions.chart": ("图形", "Chart"),
    "regions.treemap": ("矩形树图", "Treemap"),
    "regions.sunburst": ("旭日图", "Sunburst"),
    "regions.unplaced": ("{n} 条记录没有地区,未计入地区图。", "{n} records have no region and are not drawn."),
    # trends
    "trends.title": ("趋势", "Trends"),
    "trends.by_year": ("{measure} 历年变化", "{measure} by year"),
    "trends.by_date": ("{measure} 活动期间逐日", "{measure} day by day in the campaign"),
    "trends.split": ("分组", "Split by"),
    "trends.none": ("不分组", "No split"),
    "trends.no_dates": ("所选数据没有填写活动日期。", "The selected records carry no dates."),
    # details
    # per-chart export menu
    "export.menu": ("导出", "Export"),
    "export.png": ("PNG 图片(高清)", "PNG image (high resolution)"),
    "export.svg": ("SVG 矢量图", "SVG vector image"),
    "export.html": ("交互式网页(可离线打开)", "Interactive web page (works offline)"),
    "export.no_server": ("服务器端出图不可用:{problems}", "Server-side images unavailable: {problems}"),
    # briefing pack
    "briefing.title": ("简报导出", "Briefing pack"),
    "briefing.scope": ("范围(侧栏筛选):{scope}", "Scope (sidebar filters): {scope}"),
    "briefing.measures": ("指标", "Metrics"),
    "briefing.charts": ("分项图表", "Breakdowns"),
    "briefing.by.sector": ("按系统", "By sector"),
    "briefing.by.region": ("按地区", "By region"),
    "briefing.by.year": ("历年对比", "Over the years"),
    "briefing.by.agency": ("按单位", "By agency"),
    "briefing.by.theme": ("按主题", "By theme"),
    "briefing.by.activity": ("按活动形式", "By activity"),
    "briefing.n_charts": ("共 {n} 张图表(每个指标 × 每个分项一张)", "{n} charts (one per metric × breakdown)"),
    "briefing.name": ("简报标题", "Title"),
    "briefing.summary": ("摘要(可修改,导出时使用这里的文字)", "Summary (edit freely; the export uses this text)"),
    "briefing.redraft": ("按当前数据重新生成摘要", "Redraft the summary from the numbers"),
    "briefing.numbers": ("摘要中的数字从哪里来", "Where the summary's numbers come from"),
    "briefing.number_text": ("摘要中的写法", "As written"),
    "briefing.number_exact": ("精确值", "Exact value"),
    "briefing.number_measure": ("含义", "Meaning"),
    "briefing.rate": ("办结率(办结 ÷ 受理,%)", "Resolution rate (resolved ÷ received, %)"),
    "briefing.change": ("{name}同比变化(%)", "{name} change on the year before (%)"),
    "briefing.download": ("下载", "Download"),
    "briefing.pptx": ("PowerPoint 演示文稿", "PowerPoint slides"),
    "briefing.xlsx": ("Excel 工作簿", "Excel workbook"),
    "briefing.docx": ("Word 文档", "Word document"),
    "briefing.html": ("离线网页", "Offline web page"),
    "briefing.formats": ("PPTX:标题、摘要、主要指标、每张图表一页(可编辑的原生图表)、各单位表格;XLSX:概况、每个分项一个"
                         "工作表(带原生图表)、各单位、明细(含来源单元格);DOCX:Word 简报;HTML:含全部交互图表的离线网页。",
                         "PPTX: title, summary, KPIs, one editable native chart per slide, agency table; XLSX: overview, "
                         "one sheet per breakdown with native charts, agencies, records with source cells; DOCX: a "
                         "Word brief; HTML: one offline page with every chart."),
    "briefing.no_images": ("Word 简报将不含图表图片(表格仍在):{problems}",
                           "The Word brief will have no chart images (tables are kept): {problems}"),
    "briefing.records_cap": ("简报的“明细”表列出前 {n} 条记录(共 {total} 条);完整明细请在“明细”页下载。",
                             "The pack's records sheet lists the first {n} of {total} records; download all of them "
                             "on the Records page."),
    "briefing.pick_something": ("请至少选择一个指标。", "Pick at least one metric."),
    "details.title": ("明细", "Records"),
    "details.sheet": ("明细", "Records"),
    "details.file": ("3·15明细", "3-15 records"),
    "details.records": ("记录明细(前 {n} 条)", "Records (first {n})"),
    "details.download_csv": ("下载 CSV", "Download CSV"),
    "details.download_xlsx": ("下载 Excel", "Download Excel"),
    "details.prepare": ("生成下载文件", "Prepare download"),
    "details.submissions": ("已上报的报表", "Submitted returns"),
    "details.delete": ("删除", "Delete"),
    "details.restore": ("恢复", "Restore"),
    "details.search": ("按文件名或单位查找报表", "Find returns by file name or agency"),
    "details.listed": ("共 {total} 份报表,显示最近的 {n} 份;用上面的查找框找其他报表。",
                       "{total} returns; the latest {n} are listed, search for the others."),
    "details.pick": ("选择报表编号", "Pick a return"),
    "details.deleted": ("已删除第 {id} 号报表,可随时恢复。", "Return {id} deleted; it can be restored."),
    "details.restored": ("已恢复第 {id} 号报表。", "Return {id} restored."),
    "details.status.active": ("有效", "active"),
    "details.status.superseded": ("已被替换", "superseded"),
    "details.status.deleted": ("已删除", "deleted"),
    "details.original": ("下载原件", "Download original"),
    # quality
    "quality.title": ("数据质量", "Data quality"),
    "quality.issues": ("各报表中尚未解决的问题", "Open issues in the returns"),
    "quality.resolved": ("办结数多于受理数", "Resolved more than received"),
    "quality.totals": ("合计行与各行之和不符", "Total rows that do not add up"),
    "quality.outliers": ("与本单位其他年份相差很大", "Far from the agency's other years"),
    "quality.missing": ("上一年上报、今年未报的单位", "Reported last year, missing this year"),
    "quality.received": ("受理", "Received"),
    "quality.resolved_n": ("办结", "Resolved"),
    "quality.typical": ("其他年份中位数", "Median of other years"),
    "quality.ratio": ("倍数", "Ratio"),
    "quality.none": ("没有发现问题。", "Nothing found."),
    "quality.level.error": ("错误", "Errors"),
    "quality.level.warning": ("警告", "Warnings"),
    "quality.level.info": ("提示", "Notes"),
    # upload
    "upload.title": ("数据上报", "Upload returns"),
    "upload.intro": ("可一次选择多个文件(xlsx、xls、xlsm、ods、csv)。读取结果和问题会先显示,确认后才写入数据库。",
                     "Pick several files at once (xlsx, xls, xlsm, ods, csv). You see what was read and what is "
                     "wrong before anything is stored."),
    "upload.files": ("选择报表文件", "Choose return files"),
    # Streamlit 1.67 writes the upload box's own words in English and offers no option to change them.
    "upload.box_hint": ("把文件拖进下面的框,或点框里的“Upload”按钮选择文件。框内英文为 Streamlit 固定文字:"
                        "Drag and drop files here = 拖放文件到此处;Upload = 选择文件;Limit 50MB per file = 每个文件不超过 50MB。",
                        "Drag files into the box below, or click its Upload button to choose them."),
    "upload.who": ("上报人(可选)", "Submitted by (optional)"),
    "upload.refused": ("无法导入", "Cannot be imported"),
    "upload.layout": ("识别的版式", "Layout found"),
    "upload.records": ("读取到 {n} 条记录", "{n} records read"),
    "upload.preview": ("记录预览", "Preview of the records"),
    "upload.issues": ("发现的问题", "Issues found"),
    "upload.fix": ("更正读取", "Correct the reading"),
    "upload.fix_help": ("读取有误时在此更正,点“重新读取”立即生效。", "Correct what was misread and re-read at once."),
    "upload.agency": ("填报单位", "Agency"),
    "upload.sector": ("系统", "Sector"),
    "upload.region": ("地区(如:宁波市鄞州区)", "Region (e.g. 宁波市鄞州区)"),
    "upload.year": ("年度", "Year"),
    "upload.theme": ("主题", "Theme"),
    "upload.sheet": ("只读这个工作表", "Read only this sheet"),
    "upload.header_rows": ("表头所在行(如 3,4)", "Header rows (e.g. 3,4)"),
    "upload.columns": ("列 → 指标", "Column → metric"),
    "upload.column": ("列", "Column"),
    "upload.read_as": ("读作", "Read as"),
    "upload.set_to": ("指定", "Set to"),
    "upload.ignore": ("(不读取)", "(ignore)"),
    "upload.auto": ("(自动)", "(automatic)"),
    "upload.reread": ("重新读取", "Re-read"),
    "upload.plan": ("导入后", "On import"),
    "upload.imported_now": ("已成功导入,保存为第 {id} 号报表。", "Imported successfully as return no. {id}."),
    "upload.diff": ("与被替换版本的差异", "Differences from the version replaced"),
    "upload.old": ("原值", "Before"),
    "upload.new": ("新值", "After"),
    "upload.change": ("变化", "Change"),
    "upload.confirm": ("确认导入", "Import"),
    "upload.result": ("导入结果", "Import result"),
    "upload.nothing": ("没有可导入的文件。", "No file can be imported."),
    "upload.bad_rows": ("表头行应写成用逗号分开的行号,如 3,4", "Header rows are row numbers separated by commas"),
    "upload.tab_tables": ("上报报表", "Returns (tables)"),
    "upload.tab_summary": ("从总结提取", "From a written summary"),
    "summary.intro": ("上传或粘贴活动总结(txt、md、docx,简体繁体均可;多篇以“篇1、篇2…”分开)。系统找出每个数字及其所在分句,"
                      "请逐条核对:取消勾选即不导入,可改指标和数值,可在表格末尾补录遗漏的数字;填好单位和年度后确认导入。",
                      "Upload or paste an activity summary (txt, md, docx; simplified or traditional script; several "
                      "reports headed 篇1, 篇2 …). Every number is shown with its clause: untick to leave it out, edit "
                      "the metric or value, add what was missed at the end; set agency and year, then import."),
    "summary.file": ("选择总结文件", "Choose a summary file"),
    "summary.paste": ("或粘贴总结全文", "Or paste the text"),
    "summary.pasted_name": ("粘贴的总结.txt", "pasted-summary.txt"),
    "summary.found": ("共 {reports} 篇报告,找到 {n} 个数字。", "{reports} report(s), {n} numbers found."),
    "summary.reports": ("各篇的单位、系统、地区、年度、主题", "Agency, sector, region, year and theme of each report"),
    "summary.report": ("报告", "Report"),
    "summary.whole": ("全文", "Whole text"),
    "summary.rows": ("提取的数字", "Numbers found"),
    "summary.accept": ("导入", "Import"),
    "summary.value": ("数值(标准单位)", "Value (canonical unit)"),
    "summary.evidence": ("所在分句", "Clause"),
    "summary.text": ("原文(黄色为提取的数字,划线为不导入)", "Text (numbers found in yellow, left out struck through)"),
    "summary.problems": ("还不能导入", "Cannot import yet"),
    "summary.confirm": ("确认导入总结", "Import the summary"),
    "upload.status.imported": ("已导入", "imported"),
    "upload.status.duplicate": ("已导入(重复,未再次导入)", "already imported"),
    "upload.status.refused": ("拒收", "refused"),
    # the reader's layout codes (metrics/tables.py), as the upload page names them
    "layout.wide": ("横表(每行一个单位或活动,指标分列)", "wide table (a row per unit or activity, a column per metric)"),
    "layout.long": ("长表(指标 | 数值,附单位或年度列)", "long table (indicator | value, with agency or year columns)"),
    "layout.vertical": ("竖表(指标 | 数量 | 单位)", "vertical form (indicator | amount | unit)"),
    "layout.template": ("模板(本系统下发的报表模板,按模板标记读取)",
                        "template (a return template from this dashboard, read by its marker)"),
    "layout.years-across": ("年度横排(指标在左,各年分列)", "years across (indicators down, a column per year)"),
}


def layout_name(codes: str, lang: str = "zh") -> str:
    """The reader's layout codes ("wide", "wide,long" for stacked tables) in words; other text is kept."""
    names = [t(f"layout.{code}", lang) if f"layout.{code}" in LABELS else code for code in codes.split(",")]
    return "、".join(dict.fromkeys(names)) if lang != "en" else ", ".join(dict.fromkeys(names))


# Units in English mode (the Chinese UI writes the unit as the catalog does). 件 and 条 count different things
# across metrics (complaints, tests, warnings, cartons), so they are "items"; a unit not listed stays as written.
UNIT_NAMES_EN: dict[str, str] = {
    "场": "sessions", "场次": "sessions", "次": "times", "份": "copies", "人次": "person-times", "人": "people",
    "名": "people", "位": "people", "件": "items", "起": "cases", "宗": "cases", "例": "cases", "家次": "site visits",
    "家": "businesses", "户": "businesses", "户次": "site visits", "条": "items", "篇": "articles", "期": "issues",
    "元": "CNY", "万元": "CNY 10k", "亿元": "CNY 100m", "千克": "kg", "公斤": "kg", "吨": "t", "床": "quilts",
    "台": "devices", "批": "batches", "批次": "batches", "个": "pcs", "张": "sheets", "册": "booklets",
    "本": "booklets", "套": "sets", "袋": "bags", "瓶": "bottles", "盒": "boxes", "箱": "cartons", "双": "pairs",
    "项": "items", "笔": "items", "单": "items", "副": "sets",
}


def unit_name(unit: str, lang: str = "zh") -> str:
    """A unit in the UI's language: 场 in Chinese, "sessions" in English."""
    return UNIT_NAMES_EN.get(unit, unit) if lang == "en" else unit


def measure_label(measure, lang: str = "zh") -> str:
    """A metric with its unit for a chooser: "开展活动(场)", "Events held (sessions)"."""
    name = measure.name(lang)
    if not measure.unit or measure.metric == "destroyed_qty":  # its name already holds its unit: 销毁物品数量(千克)
        return name
    return f"{name} ({unit_name(measure.unit, 'en')})" if lang == "en" else f"{name}({measure.unit})"


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The label in the language asked for, with ``{name}`` placeholders filled."""
    zh, en = LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text
