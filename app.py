"""3·15 outreach dashboard — entry point. Pages arrive with the dashboard issue; this shows the reader."""

import streamlit as st

from metrics.catalog import default_catalog

st.set_page_config(page_title="3·15 活动数据看板", page_icon="📊", layout="wide")
st.title("3·15 活动数据看板")
st.write("报表读取核心已就绪:在命令行运行 `python -m metrics ingest --summary 文件.xlsx` 可读取并核对报表。")
catalog = default_catalog()
st.subheader("指标目录")
st.dataframe(
    [{"指标": m.zh, "id": m.id, "单位": m.unit or "按原单位", "常见写法": "、".join(m.synonyms[:6])}
     for m in catalog.metrics.values()],
    hide_index=True,
)
