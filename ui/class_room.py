"""The pages' side of the class store (nn_core.class_store): the database connection, who this
session is in the class (a student's code and nickname, a teacher's key), and "Share with
class" under each training page's result.

The database: $NN_CLASS_DB_URL if set (containers, replicas), else `[connections.class_db]` in
.streamlit/secrets.toml when it is there (e.g. a hosted PostgreSQL:
`url = "postgresql+psycopg://user:password@host/db"`), otherwise an SQLite file at $NN_CLASS_DB
or .class_data/class.sqlite beside the app. If the database cannot be reached, every page still
works for the student alone and says that the class is unavailable; runs stay in the session
and can be shared again later."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
import streamlit as st

from nn_core import class_store

CONNECTION = "class_db"
DEFAULT_FILE = Path(__file__).resolve().parent.parent / ".class_data" / "class.sqlite"
JOINED = "class_joined"  # (class code, nickname) of this student
TEACHING = "class_teaching"  # (class code, teacher key) of this teacher
SHARED = "class_shared"  # run ids this session has shared
SHARE_TIMES = "class_share_times"  # when this session last shared, for the rate limit
MAX_SHARES = 3  # per SHARE_SECONDS and session: a stuck key or a script cannot flood the board
SHARE_SECONDS = 2.0
CLASS_PAGE = "pages/8_class.py"
BROWSER = "class_browser"  # this browser's anonymous id (its cookie), for its own runs
NEW_BROWSER = "class_new_browser"  # the id was made in this session: the cookie is to be set
COOKIE = "nn_browser"
MEMBERSHIP_READ = "class_membership_read"  # the store was asked which class this browser is in


class Unavailable(RuntimeError):
    """The class database cannot be reached or written; the message says so for a student."""


def plain(text: str) -> str:
    """A student's or teacher's words inside a Markdown sentence, shown as typed: every
    character Markdown would act on is escaped (HTML is never rendered by st.markdown)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", text)


def _configured() -> bool:
    """Whether secrets.toml names the class database."""
    try:
        return CONNECTION in st.secrets.get("connections", {})
    except Exception:  # noqa: BLE001 (none, or a malformed one: Streamlit says so itself)
        return False


def database_file() -> Path:
    return Path(os.environ.get("NN_CLASS_DB") or DEFAULT_FILE)


@st.cache_resource(show_spinner=False)
def _engine(url: str | None) -> sa.Engine:
    """One engine per database for the whole server, with the schema created or checked."""
    if url is None:
        connection = st.connection(CONNECTION, type="sql")
    else:
        connection = st.connection(CONNECTION, type="sql", url=url)
    engine = class_store.prepare_engine(connection.engine)
    class_store.create_schema(engine)
    return engine


def engine() -> sa.Engine:
    """The class database; Unavailable with a readable reason if it cannot be used."""
    url = os.environ.get("NN_CLASS_DB_URL")
    if url is None and not _configured():
        path = database_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise Unavailable(f"the class database folder cannot be made ({error})") from error
        url = class_store.sqlite_url(path)
    try:
        return _engine(url)
    except class_store.StoreVersionError as error:
        raise Unavailable(str(error)) from error
    except (sa.exc.SQLAlchemyError, OSError) as error:
        raise Unavailable(_reason(error)) from error


def _reason(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return f"the class database cannot be used ({text[:160]})"


def call(action, *args):
    """Run a store action; Unavailable if the database fails on the way (read-only, gone)."""
    try:
        return action(engine(), *args)
    except (sa.exc.SQLAlchemyError, OSError) as error:
        raise Unavailable(_reason(error)) from error


def unavailable_text(error: Unavailable) -> str:
    return (
        f"The class is unavailable right now: {error}. Everything on this page still works "
        "for you alone; your runs stay in this session, and you can share them when the "
        "class is back."
    )


def browser_id() -> str:
    """This browser's anonymous id: its cookie, or a new one (set by keep_browser_id)."""
    known = st.session_state.get(BROWSER)
    if known is None:
        cookie = _cookie()
        known = cookie if re.fullmatch(r"[0-9a-f]{32}", cookie) else None
        if known is None:
            known = uuid.uuid4().hex
            st.session_state[NEW_BROWSER] = True
        st.session_state[BROWSER] = known
    return known


def keep_browser_id() -> None:
    """On every page (setup_page): a browser seen for the first time gets its cookie, so that
    a reload or a new tab finds its runs and its class again. A first-party cookie holding a
    random id and nothing else; the Runs page can forget the runs it points to."""
    browser = browser_id()
    if st.session_state.pop(NEW_BROWSER, False):
        st.html(
            f"<script>document.cookie = '{COOKIE}={browser}; Max-Age=31536000; Path=/; "
            "SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )


def _returning() -> bool:
    """Whether this browser came with its cookie (a new one has nothing stored yet)."""
    browser_id()
    return not st.session_state.get(NEW_BROWSER, False) and bool(_cookie())


def _cookie() -> str:
    """The browser's id cookie as it sent it ("" if none; AppTest sessions have no cookies)."""
    cookie = st.context.cookies.get(COOKIE)
    return cookie if isinstance(cookie, str) else ""


def saved_runs() -> list:
    """The runs this browser saved in earlier sessions ([] if none, or the store is down)."""
    if not _returning():
        return []
    try:
        return call(class_store.my_runs, browser_id())
    except Unavailable:
        return []


def save_run(record) -> None:
    """Keep a run for this browser's next session; without the store it stays in this one."""
    try:
        call(class_store.save_my_run, browser_id(), record)
    except Unavailable:
        pass


def forget_runs() -> int:
    return call(class_store.delete_my_runs, browser_id())


def joined() -> tuple[str, str] | None:
    """(class code, nickname) this browser joined, in this session or an earlier one."""
    if JOINED not in st.session_state and not st.session_state.get(MEMBERSHIP_READ):
        st.session_state[MEMBERSHIP_READ] = True
        if _returning():
            try:
                st.session_state[JOINED] = call(class_store.membership, browser_id())
            except Unavailable:
                pass
    return st.session_state.get(JOINED)


def remember_joined(code: str | None, nickname: str | None = None) -> None:
    """Join (or with None, leave) for this session and the browser's next ones."""
    if code is None:
        st.session_state.pop(JOINED, None)
    else:
        st.session_state[JOINED] = (code, nickname)
    try:
        call(class_store.remember_membership, browser_id(), code, nickname)
    except Unavailable:
        pass  # (this session still knows)


def app_address() -> str:
    """The app's base address as the browser sees it (for the join and teacher links)."""
    url = st.context.url or "http://localhost:8501/"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def class_link(**query) -> str:
    from urllib.parse import urlencode

    return f"{app_address()}/class?{urlencode(query)}"


def _rate_limited() -> bool:
    now = time.monotonic()
    recent = [
        moment for moment in st.session_state.get(SHARE_TIMES, []) if now - moment < SHARE_SECONDS
    ]
    st.session_state[SHARE_TIMES] = recent
    return len(recent) >= MAX_SHARES


def share_runs(records) -> tuple[str, str]:
    """Share these runs with the joined class: (kind, sentence) of what happened, kind one of
    "success", "warning", "error" (see say)."""
    code, nickname = joined()
    if _rate_limited():
        return "warning", "Too many shares at once: wait a moment, then share again."
    st.session_state.setdefault(SHARE_TIMES, []).append(time.monotonic())
    added = 0
    try:
        for record in records:
            added += call(class_store.share, code, nickname, record)
            st.session_state.setdefault(SHARED, set()).add(record.run_id)
    except class_store.ClassError as error:
        return "error", str(error)
    except Unavailable as error:
        return "warning", unavailable_text(error)
    text = f"Shared with class {code} as {plain(nickname)}"
    already = len(records) - added
    if already:
        text += f" ({already} of them {'was' if already == 1 else 'were'} on the board already)"
    return "success", text + "."


ICONS = {
    "success": ":material/groups:",
    "warning": ":material/cloud_off:",
    "error": ":material/error:",
}


def say(message: tuple[str, str] | None) -> None:
    if message:
        kind, text = message
        getattr(st, kind)(text, icon=ICONS[kind])


def share_latest(page: str) -> None:
    """Under a training page's result: share its latest run with the class (a student's
    choice: nothing is shared without this click)."""
    from ui.runs import session_runs  # (ui.runs keeps runs through this module)

    page_runs = [run for run in session_runs() if run.page == page]
    if not page_runs:
        return
    latest = page_runs[-1]
    if joined() is None:
        st.page_link(
            CLASS_PAGE,
            label="Join a class to share your runs with the room",
            icon=":material/groups:",
        )
        return
    message_key = f"{page}_share_message"

    def share_it():
        st.session_state[message_key] = share_runs([latest])

    done = latest.run_id in st.session_state.get(SHARED, set())
    st.button(
        f"{'Shared' if done else 'Share'} {latest.run_id} with the class",
        key=f"{page}_share_with_class",
        icon=":material/groups:",
        disabled=done,
        on_click=share_it,
        help="Sends this run's settings, results and curves to the class board, under your "
        "nickname.",
    )
    say(st.session_state.pop(message_key, None))


# ---------------------------------------------------------------- lessons with the class

FOLLOWING = "class_following"  # this student's lesson follows the teacher's step
TEACHER_AT = "class_teacher_at"  # the (lesson, step) this teacher last told the class


def teaching() -> tuple[str, str] | None:
    return st.session_state.get(TEACHING)


def vote_for(lesson: str, step: int, choice: str) -> None:
    """A joined student's prediction counts in the class tally (best effort: the student's
    own lesson goes on without the class)."""
    student = joined()
    if student is None or teaching():
        return
    try:
        call(class_store.vote, student[0], student[1], lesson, step, choice)
    except (Unavailable, class_store.ClassError):
        pass


def votes(lesson: str, step: int) -> dict[str, int] | None:
    """For the teacher: the class's answers to this step's question so far."""
    teacher = teaching()
    if teacher is None:
        return None
    try:
        return call(class_store.tally, teacher[0], lesson, step)
    except Unavailable:
        return None


def teacher_at(lesson: str, step: int) -> None:
    """The teacher is on this step: tell the class (once per step), for those who follow."""
    teacher = teaching()
    if teacher is None or st.session_state.get(TEACHER_AT) == (lesson, step):
        return
    try:
        call(class_store.set_teacher_step, teacher[0], teacher[1], lesson, step)
        st.session_state[TEACHER_AT] = (lesson, step)
    except (Unavailable, class_store.ClassError):
        pass


def follow_toggle(where: str) -> None:
    """A joined student's switch: their lesson step follows the teacher's."""
    if joined() is None or teaching():
        return
    key = f"class_follow_{where}"

    def keep() -> None:  # (beyond the widget, whose state a page switch drops)
        st.session_state[FOLLOWING] = st.session_state[key]

    st.toggle(
        "Follow the teacher",
        value=st.session_state.get(FOLLOWING, False),
        key=key,
        on_change=keep,
        help="Your lesson moves to the step the teacher is on, on its page.",
    )


def following() -> bool:
    return bool(st.session_state.get(FOLLOWING)) and joined() is not None and not teaching()


def where_teacher_is() -> tuple[str, int] | None:
    try:
        return call(class_store.teacher_step, joined()[0])
    except Unavailable:
        return None


# ---------------------------------------------------------------- the class study


@st.cache_resource(show_spinner=False)
def _study_storage(url: str):
    """Optuna's storage in the class database (its own tables beside ours): every session on
    every replica works on the same studies. SQLite writers wait instead of failing."""
    import optuna

    connect_args = {"timeout": 20} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": connect_args})


def class_study(name: str, setting=None, create: bool = False):
    """The class study `name` in the class database, with a search `setting`'s sampler and
    pruner (to run its trials); `create` makes it (the teacher). Reading never writes (a
    board's watcher asks every 2 s). Unavailable if the database cannot be used or has no such
    study."""
    import optuna

    from nn_core import search

    url = engine().url.render_as_string(hide_password=False)
    try:
        storage = _study_storage(url)
        if create:
            return search.create_study(setting, storage, name)
        if setting is None:
            return optuna.load_study(study_name=name, storage=storage)
        return optuna.load_study(
            study_name=name,
            storage=storage,
            sampler=setting.make_sampler(),
            pruner=setting.make_pruner(),
        )
    except (sa.exc.SQLAlchemyError, OSError) as error:
        raise Unavailable(_reason(error)) from error
    except KeyError as error:  # (a study the database no longer has)
        raise Unavailable(f"the class study is gone ({error})") from error


def class_info():
    """The class this session teaches or joined (ClassInfo), or None."""
    where = teaching() or joined()
    if where is None:
        return None
    try:
        return call(class_store.class_info, where[0])
    except (Unavailable, class_store.ClassError):
        return None
