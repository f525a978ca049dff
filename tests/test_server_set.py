"""ui.server_set: a value the server sets is not undone by a rerun the browser asked for
before it had drawn that value (the MLP page's big-plot node and replay frame)."""

from streamlit.testing.v1 import AppTest


def choice_script():
    import streamlit as st

    from ui import server_set

    st.button("The server chooses b", on_click=server_set.set_value, args=("choice", "b"))
    if server_set.value("choice") is None:
        server_set.set_value("choice", "a")
    st.selectbox(
        "Choice",
        ["a", "b", "c"],
        index=["a", "b", "c"].index(server_set.value("choice")),
        **server_set.widget("choice"),
    )
    st.text(f"chosen {server_set.value('choice')}")


def test_an_old_value_from_a_browser_behind_the_server_changes_nothing():
    app = AppTest.from_function(choice_script).run()
    drawn_before = app.selectbox[0]  # the box as the browser still shows it
    app.button[0].click().run()
    assert app.text[0].value == "chosen b"
    assert app.selectbox[0].value == "b"
    # A rerun asked for by that browser: it carries its old box, still on "a" (AppTest sends
    # the widget values of the element tree the element belongs to).
    late = drawn_before.set_value("a").run()
    assert late.text[0].value == "chosen b"


def test_the_user_s_own_choice_is_taken():
    app = AppTest.from_function(choice_script).run()
    app.button[0].click().run()
    app.selectbox[0].set_value("c").run()
    assert app.text[0].value == "chosen c"
    app.selectbox[0].set_value("a").run()
    assert app.text[0].value == "chosen a"
