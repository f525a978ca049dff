"""The class: a teacher starts one, students join with its code and a nickname, and a live
board shows every run the room chose to share (nn_core.class_store, ui.class_room)."""

import io

import streamlit as st

from ui.layout import setup_page

setup_page(
    "Class: one board for the whole room",
    ":material/groups:",
    "A teacher starts a class and projects its code. Students join with the code and a "
    "nickname, then press **Share with the class** under any run they want the room to see. "
    "The board below updates by itself every couple of seconds: every shared run, which "
    "settings went with good results, and who leads the teacher's challenge.",
)

import pandas as pd  # noqa: E402 (after the title, as on every page)
import segno  # noqa: E402

from nn_core import charts, class_store, runs  # noqa: E402
from ui import class_room as room  # noqa: E402
from ui.layout import show_chart  # noqa: E402
from ui.lesson import follow_teacher  # noqa: E402
from ui.runs import session_runs, show_table  # noqa: E402
from ui.search_panel import class_study_board, class_study_size  # noqa: E402

REFRESH_SECONDS = 2
METRICS = ("val_accuracy", "train_accuracy", "test_accuracy")
CHALLENGE_PAGES = {"moons": "MLP on moons", "mnist": "MNIST digits", "imdb": "IMDB reviews"}


def start_or_join() -> None:
    """Neither teacher nor student yet: join with a code, or start a class."""
    join_column, start_column = st.columns(2)
    with join_column.form("class_join_form", border=True):
        st.subheader("Join a class")
        code = st.text_input(
            "Class code", value=st.query_params.get("join", ""), max_chars=12, key="class_code"
        )
        nickname = st.text_input(
            "Your nickname (shown on the board)",
            max_chars=class_store.MAX_NICKNAME,
            key="class_nickname",
        )
        if st.form_submit_button("Join", type="primary", icon=":material/login:"):
            join(code, nickname)
    with start_column.form("class_start_form", border=True):
        st.subheader("Start a class (teacher)")
        title = st.text_input("Class title", max_chars=class_store.MAX_TITLE, key="class_title")
        if st.form_submit_button("Start a class", icon=":material/add:"):
            start(title)


FAILED = object()  # what attempt gives for an action that could not be done


def attempt(action, *args):
    """A store action the user asked for; if it cannot be done, say why on the page and give
    FAILED."""
    try:
        return room.call(action, *args)
    except class_store.ClassError as error:
        st.error(str(error), icon=":material/error:")
        return FAILED


def join(code: str, nickname: str) -> None:
    info = attempt(class_store.join, code, nickname)
    if info is FAILED:
        return
    room.remember_joined(info.code, nickname.strip())
    st.query_params.pop("join", None)
    st.rerun()


def start(title: str) -> None:
    made = attempt(class_store.create_class, title)
    if made is FAILED:
        return
    st.session_state[room.TEACHING] = made
    st.query_params.update({"class": made[0], "teacher": made[1]})
    st.rerun()


def teacher_from_link() -> None:
    """A teacher link (?class=CODE&teacher=KEY) opens the class as its teacher."""
    code, key = st.query_params.get("class"), st.query_params.get("teacher")
    if not (code and key):
        return
    if room.call(class_store.is_teacher, code, key):
        st.session_state[room.TEACHING] = (class_store.normal_code(code), key)
    else:
        st.error("This teacher link does not open a class.", icon=":material/error:")


def class_header(info: class_store.ClassInfo, teacher: bool) -> None:
    left, right = st.columns([2, 1])
    with left:
        st.subheader(f"Class {info.code}")
        st.text(info.title)  # typed by a teacher: plain text, never Markdown
        if info.closed:
            st.info("This class is closed: the board stays, nobody can join or share.")
        join_link = room.class_link(join=info.code)
        st.markdown(f"Students join at **{join_link}** with the code **{info.code}**.")
        if teacher:
            st.caption(
                "Open a lesson from the home page in this tab: students who follow you see "
                "your step, and your reveals show how the class answered. Your teacher link "
                "(keep it to yourself: it holds the teacher key):"
            )
            st.code(
                room.class_link(**{"class": info.code, "teacher": room_teacher_key()}),
                language=None,
                wrap_lines=True,
            )
    right.image(qr_code(room.class_link(join=info.code)), caption="Scan to join", width=220)


@st.cache_data(max_entries=64, show_spinner=False)
def qr_code(link: str) -> bytes:
    """The join link as a QR code (PNG) for the projector."""
    picture = io.BytesIO()
    segno.make(link, error="m").save(picture, kind="png", scale=6, border=2)
    return picture.getvalue()


def room_teacher_key() -> str:
    return st.session_state[room.TEACHING][1]


def student_bar(info: class_store.ClassInfo, nickname: str) -> None:
    """A joined student: who they are here, their session's runs to share, leaving."""
    st.success(f"You are in class {info.code} as {room.plain(nickname)}.", icon=":material/groups:")
    mine = session_runs()
    if mine:
        ids = [record.run_id for record in mine]
        shared = st.session_state.get(room.SHARED, set())
        chosen = st.multiselect(
            "Runs of this session to share",
            ids,
            [run_id for run_id in ids if run_id not in shared][-3:],
            key="class_share_choice",
        )
        if st.button(
            "Share the chosen runs",
            key="class_share_chosen",
            icon=":material/send:",
            disabled=not chosen,
        ):
            room.say(room.share_runs([record for record in mine if record.run_id in chosen]))
    else:
        st.caption(
            "Train on the MLP, MNIST or IMDB page, then press **Share with the class** under "
            "the result."
        )
    room.follow_toggle("class")
    if room.following():  # the teacher's lesson step, as soon as there is one
        follow_teacher(None)
    if st.button("Leave the class", icon=":material/logout:", key="class_leave"):
        room.remember_joined(None)
        st.rerun()


def teacher_tools(info: class_store.ClassInfo, shared: list[class_store.SharedRun]) -> None:
    code, key = st.session_state[room.TEACHING]
    with st.expander("Teacher: challenge, hidden runs, export, close", icon=":material/tune:"):
        challenge_form(info, code, key)
        hidden_runs(shared, code, key)
        export_buttons(shared)
        if not info.closed and st.button("Close the class", icon=":material/lock:"):
            teacher_action(class_store.close_class, code, key)


READY_MADE = (
    class_store.Challenge(
        "Best validation accuracy on moons with at most 100 parameters",
        "moons",
        "val_accuracy",
        max_parameters=100,
        data_seed=0,
    ),
    class_store.Challenge(
        "Best MNIST validation accuracy with at most 20,000 parameters",
        "mnist",
        "val_accuracy",
        max_parameters=20_000,
    ),
    class_store.Challenge("Best IMDB validation accuracy, any size", "imdb", "val_accuracy"),
)


def challenge_form(info: class_store.ClassInfo, code: str, key: str) -> None:
    """Pick a ready-made challenge, or define one."""
    texts = [challenge.text for challenge in READY_MADE]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    picked = left.selectbox("A ready-made challenge", texts, key="class_ready_made")
    if right.button("Set this challenge", key="class_set_ready_made"):
        teacher_action(class_store.set_challenge, code, key, READY_MADE[texts.index(picked)])
    current = info.challenge
    with st.form("class_challenge_form"):
        st.markdown("**Or your own challenge** (the leaderboard ranks each student's best run)")
        text = st.text_input(
            "Challenge text",
            value=current.text
            if current
            else "Best validation accuracy with at most 100 parameters",
            max_chars=class_store.MAX_CHALLENGE_TEXT,
            key="class_challenge_text",
        )
        pages = list(CHALLENGE_PAGES)
        left, middle, right, last = st.columns(4)
        page = left.selectbox(
            "Page",
            pages,
            index=pages.index(current.page) if current else 0,
            format_func=CHALLENGE_PAGES.get,
        )
        metric = middle.selectbox(
            "Ranked by",
            METRICS,
            index=METRICS.index(current.metric) if current else 0,
            format_func=runs.field_name,
        )
        limit = right.number_input(
            "At most this many parameters (0: no limit)",
            min_value=0,
            value=(current.max_parameters or 0) if current else 100,
        )
        seed = last.number_input(
            "Only this data seed (-1: any)",
            min_value=-1,
            value=current.data_seed if current and current.data_seed is not None else 0,
        )
        set_it, clear = st.columns(2)
        if set_it.form_submit_button("Set the challenge", type="primary"):
            challenge = class_store.Challenge(
                text, page, metric, int(limit) or None, None if seed < 0 else int(seed)
            )
            teacher_action(class_store.set_challenge, code, key, challenge)
        if clear.form_submit_button("No challenge"):
            teacher_action(class_store.set_challenge, code, key, None)


def teacher_action(action, *args) -> None:
    """A teacher's change to the class, then the page redrawn with it."""
    if attempt(action, *args) is not FAILED:
        st.rerun()


def run_label(run: class_store.SharedRun) -> str:
    return f"{run.student}: {run.record.run_id} (#{run.id})"


def hidden_runs(shared, code: str, key: str) -> None:
    labels = {run_label(run): run for run in shared}
    hidden = [label for label, run in labels.items() if run.hidden]
    chosen = st.multiselect(
        "Hidden runs (left off the board, the charts and the leaderboard)",
        list(labels),
        hidden,
        key="class_hidden",
    )
    if set(chosen) != set(hidden) and st.button("Apply", key="class_hide_apply"):
        for label, run in labels.items():
            if (label in chosen) != run.hidden:
                room.call(class_store.set_hidden, code, key, run.id, label in chosen)
        st.rerun()


def export_buttons(shared) -> None:
    """Everything shared, hidden runs included. Made when clicked (a callable): a 1,000-run
    board's JSON takes a noticeable part of a second to write, which every run of the page
    would otherwise pay."""
    left, right = st.columns(2)
    left.download_button(
        "Download the board as CSV (hidden runs marked)",
        lambda: class_store.board_table(shared).to_csv(index=False),
        "class_board.csv",
        "text/csv",
        icon=":material/download:",
        key="class_csv",
    )
    right.download_button(
        "Download the board as JSON (imports into the Runs page)",
        lambda: runs.to_json(class_store.export_records(shared)),
        "class_board.json",
        "application/json",
        icon=":material/download:",
        key="class_json",
    )


def board(code: str, teacher: bool) -> None:
    """The board as it is now, then a watcher that redraws it when it changes."""
    try:
        version = room.call(class_store.board_version, code)
        memo = st.session_state.get("class_board_memo")
        if memo is None or memo[0] != (code, teacher, version):
            info = room.call(class_store.class_info, code)
            shared = room.call(class_store.board, code, teacher)
            memo = ((code, teacher, version), info, shared)
            st.session_state["class_board_memo"] = memo
    except room.Unavailable as error:
        st.warning(room.unavailable_text(error), icon=":material/cloud_off:")
        return
    _, info, shared = memo
    draw_board(info, [run for run in shared if not run.hidden], teacher)
    if info.study:
        class_study_board(info.study)
    if teacher:
        teacher_tools(info, shared)
    watch(code, (version, class_study_size(info.study)), info.study)


@st.fragment(run_every=REFRESH_SECONDS)
def watch(code: str, drawn: tuple, study: dict | None) -> None:
    """Every couple of seconds, one small query: has a run been shared, or has the teacher
    changed something, since the board was drawn? Only then is the page run again (a tick
    that finds nothing new sends nothing to the browser)."""
    try:
        now = (room.call(class_store.board_version, code), class_study_size(study))
    except room.Unavailable:
        return  # (the board says so on the next full run)
    if now != drawn:
        st.rerun()


def draw_board(info: class_store.ClassInfo, shared, teacher: bool) -> None:
    students = len({run.student for run in shared})
    st.caption(
        f"{len(shared):,} shared run{'s' if len(shared) != 1 else ''} from {students:,} "
        f"student{'s' if students != 1 else ''} · updates every {REFRESH_SECONDS} s"
    )
    if info.challenge:
        leaderboard(info.challenge, shared)
    if not shared:
        st.info("No runs shared yet.", icon=":material/hourglass_empty:")
        return
    table = class_store.board_table(shared)
    # Newest first: on a live board the run just shared is the one the room looks for.
    show_table(table.drop(columns=["created"]).iloc[::-1], key="class_board_table")
    views(table)


def leaderboard(challenge: class_store.Challenge, shared) -> None:
    st.markdown("**Challenge**")
    st.text(challenge.text)  # the teacher's words, as plain text
    ranked = class_store.leaderboard(shared, challenge)
    if not ranked:
        st.caption("No shared run meets the challenge yet.")
        return
    rows = pd.DataFrame(
        {
            "rank": range(1, len(ranked) + 1),
            "student": [run.student for run in ranked],
            "run": [run.record.run_id for run in ranked],
            challenge.metric: [run.record.metrics[challenge.metric] for run in ranked],
            "parameters": [run.record.parameter_count for run in ranked],
        }
    )
    show_table(rows, key="class_leaderboard")


def views(table: pd.DataFrame) -> None:
    metrics = runs.numeric_metrics(table)
    columns = runs.hyperparameter_columns(table, metrics)
    if not metrics or not columns:
        return
    metric = st.radio(
        "Metric", metrics, key="class_metric", format_func=runs.field_name, horizontal=True
    )
    middle, right = st.columns(2)
    x = middle.selectbox(
        "Setting for the scatter", columns, key="class_x", format_func=runs.field_name
    )
    group = right.radio(
        "Colour and shape by", ["page", "student"], horizontal=True, key="class_group"
    )
    rows = table.dropna(subset=[metric])
    show_chart(charts.scatter(rows, x, metric, group=group))
    show_chart(charts.parallel_coordinates(rows, columns, metric))


try:
    room.engine()  # (an unavailable class is said at once, not after the form is filled in)
    teacher_from_link()
    teaching, student = st.session_state.get(room.TEACHING), room.joined()
    if teaching is None and student is None:
        start_or_join()
        st.stop()
    code = teaching[0] if teaching else student[0]
    info = room.call(class_store.class_info, code)
except room.Unavailable as error:
    st.warning(room.unavailable_text(error), icon=":material/cloud_off:")
    st.stop()
except class_store.ClassError as error:
    st.error(str(error), icon=":material/error:")
    room.remember_joined(None)  # (a class that is gone)
    st.stop()
class_header(info, teacher=teaching is not None)
if teaching is None:
    student_bar(info, student[1])
board(code, teaching is not None)
