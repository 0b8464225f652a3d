"""Fixtures shared by the AppTest modules."""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager


@pytest.fixture
def served_navigation(monkeypatch):
    """Run as a served app does after its first run: st.navigation, not the pages/ folder, decides.

    AppTest forgets that on every run, which makes pages.common.through_app rerun each time and
    swallow button clicks; its first-run path is covered by the browser tests on a fresh server.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
