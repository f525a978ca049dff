"""Streamlit pieces the pages share (kept outside pages/, where every .py becomes a page)."""
