"""The entry page starts and shows the metric catalog (the dashboard pages come with issue 3)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from metrics.catalog import default_catalog


def test_app_starts_and_lists_every_metric():
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "3·15 活动数据看板"
    frame = at.dataframe[0].value
    assert list(frame["id"]) == list(default_catalog().ids)
