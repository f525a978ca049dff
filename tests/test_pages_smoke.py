"""Every page runs without an exception (AppTest, no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from ui.layout import PAGES

TIMEOUT = 120  # TensorFlow's first import and tracing take seconds; AppTest's default is 3 s.


def open_page(path: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    app.run()
    if path != "streamlit_app.py":
        app.switch_page(path)
        app.run()
    return app


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_page_renders_without_exception(path, offline_data, monkeypatch):
    monkeypatch.chdir(ROOT)
    app = open_page(path)
    assert not app.exception, app.exception
    assert app.title, "every page shows a title"
