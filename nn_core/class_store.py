"""The class store: a class that students join, the runs they share with it, the teacher's
challenge. The one place sessions share state on purpose (DESIGN.md, "The classroom").

SQLAlchemy Core on any engine: an embedded SQLite file (WAL) by default, PostgreSQL when the
app is given a database URL. Every statement is parameterised. The schema is created here and
carries a version number, so a later version of the app can tell an older store and upgrade it.
Teacher actions need the teacher key, which is stored only as a salted scrypt hash and compared
in constant time. No Streamlit here: ui/class_room.py is the pages' side."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa

from nn_core import runs

SCHEMA_VERSION = 2  # 2: the teacher's lesson step and the class study (see _upgrade)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 8  # 32**8 = 2**40 codes: not guessable by trying
MAX_NICKNAME = 24
MAX_TITLE = 80
MAX_CHALLENGE_TEXT = 200
MAX_SHARED_BYTES = 64_000  # one run's settings, metrics and thinned curves, as JSON
MAX_RUNS_PER_CLASS = 5_000

metadata = sa.MetaData()
schema_table = sa.Table(
    "nn_schema", metadata, sa.Column("version", sa.Integer, primary_key=True, autoincrement=False)
)
classes = sa.Table(
    "nn_classes",
    metadata,
    sa.Column("code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("title", sa.String(MAX_TITLE), nullable=False),
    sa.Column("teacher_key_hash", sa.String(200), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("challenge", sa.Text, nullable=True),  # JSON of a Challenge, or NULL
    sa.Column("changed", sa.Integer, nullable=False, default=0),  # bumped by teacher actions
    # Where the teacher is in a lesson: students who follow the teacher go there too.
    sa.Column("lesson", sa.String(100), nullable=True),
    sa.Column("step", sa.Integer, nullable=True),
    # The class study (an Optuna study in this database): JSON {name, page, setting, search}.
    sa.Column("study", sa.Text, nullable=True),
)
votes = sa.Table(
    "nn_votes",
    metadata,
    sa.Column("class_code", sa.String(CODE_LENGTH), sa.ForeignKey("nn_classes.code")),
    sa.Column("lesson", sa.String(100), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("student", sa.String(MAX_NICKNAME), nullable=False),
    sa.Column("choice", sa.String(200), nullable=False),
    # One vote per student and question: changing one's mind replaces it.
    sa.PrimaryKeyConstraint("class_code", "lesson", "step", "student"),
)
shared_runs = sa.Table(
    "nn_shared_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_code", sa.String(CODE_LENGTH), sa.ForeignKey("nn_classes.code"), index=True),
    sa.Column("student", sa.String(MAX_NICKNAME), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the RunRecord as JSON (nn_core.runs)
    sa.Column("shared", sa.String(32), nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    # Sharing the same run twice (a retry after a lost answer, a double click) stores it once.
    sa.UniqueConstraint("class_code", "student", "fingerprint", name="nn_one_share_per_run"),
)

# Each browser's own runs and class, under an anonymous id the browser keeps in a cookie, so a
# reload, a new tab or the next lesson finds them (no name, no account).
my_runs_table = sa.Table(
    "nn_my_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("browser", sa.String(32), nullable=False, index=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.UniqueConstraint("browser", "fingerprint", name="nn_one_copy_per_run"),
)
memberships = sa.Table(
    "nn_memberships",
    metadata,
    sa.Column("browser", sa.String(32), primary_key=True),
    sa.Column("class_code", sa.String(CODE_LENGTH), nullable=False),
    sa.Column("nickname", sa.String(MAX_NICKNAME), nullable=False),
)
MAX_MY_RUNS = 500  # per browser: the oldest go first


class ClassError(ValueError):
    """Something a user asked for that cannot be done; the message says why, for them."""


class StoreVersionError(RuntimeError):
    """The database holds a newer schema than this app knows."""


@dataclass(frozen=True)
class Challenge:
    text: str  # what the projector shows, plain text
    page: str  # runs of this page count ("moons", "mnist", "imdb")
    metric: str  # ranked by this metric, higher is better ("val_accuracy")
    max_parameters: int | None = None  # the constraint: at most this many parameters
    data_seed: int | None = None  # fairness: only runs on this data seed count


@dataclass(frozen=True)
class ClassInfo:
    code: str
    title: str
    created: str
    closed: bool
    challenge: Challenge | None
    study: dict | None = None  # the class study: {name, page, setting, search}


@dataclass(frozen=True)
class SharedRun:
    id: int
    student: str
    record: runs.RunRecord
    shared: str
    hidden: bool


def sqlite_url(path) -> str:
    return f"sqlite:///{path}"


def prepare_engine(engine: sa.Engine) -> sa.Engine:
    """SQLite: write-ahead logging (readers never wait for the writer: the board refreshes
    while students share) and a busy timeout (writers queue instead of failing at once)."""
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_pragmas
    ):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=20000")
    cursor.close()


def create_schema(engine: sa.Engine) -> None:
    """Create the tables if they are missing and record the schema version; refuse a store
    written by a newer app (its tables may mean something this one does not know)."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        found = connection.execute(sa.select(sa.func.max(schema_table.c.version))).scalar()
        if found is not None and found < SCHEMA_VERSION:
            _upgrade(connection)
        if found is None or found < SCHEMA_VERSION:
            try:
                connection.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            except sa.exc.IntegrityError:  # another replica recorded it first
                pass
        elif found > SCHEMA_VERSION:
            raise StoreVersionError(
                f"The class database has schema version {found}; this app knows up to "
                f"{SCHEMA_VERSION}. Update the app."
            )


def _upgrade(connection) -> None:
    """Version 1 to 2: the classes table gains the teacher's lesson step and the class study
    (new tables, such as the votes, were made by create_all already)."""
    present = {column["name"] for column in sa.inspect(connection).get_columns("nn_classes")}
    for column in (classes.c.lesson, classes.c.step, classes.c.study):
        if column.name not in present:  # (names from this module, never from input)
            kind = column.type.compile(connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE nn_classes ADD COLUMN {column.name} {kind}"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hash_key(key: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _key_matches(key: str, stored: str) -> bool:
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(_hash_key(key, bytes.fromhex(salt)), stored)


def plain_text(text: str, limit: int, what: str) -> str:
    """Text a user typed, as stored and shown: trimmed, control characters refused, at most
    `limit` characters. (The pages show it as plain text, never as Markdown or HTML.)"""
    text = (text or "").strip()
    if not text:
        raise ClassError(f"The {what} is empty.")
    if len(text) > limit:
        raise ClassError(f"The {what} is {len(text)} characters long; at most {limit} fit.")
    if re.search(r"[\x00-\x1f\x7f]", text):
        raise ClassError(f"The {what} holds control characters; use plain text.")
    return text


def normal_code(code: str) -> str:
    """A class code as typed (lower case, spaces, a dash) in its stored form."""
    return re.sub(r"[\s-]", "", code or "").upper()


def create_class(engine: sa.Engine, title: str) -> tuple[str, str]:
    """A new class: (its code for the students, the teacher key). The key is shown once and
    stored only hashed."""
    title = plain_text(title, MAX_TITLE, "class title")
    key = secrets.token_urlsafe(18)
    for _ in range(5):  # a clash among 2**40 codes is rare; try again if it happens
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with engine.begin() as connection:
                connection.execute(
                    classes.insert().values(
                        code=code,
                        title=title,
                        teacher_key_hash=_hash_key(key),
                        created=_now(),
                        closed=False,
                        changed=0,
                    )
                )
            return code, key
        except sa.exc.IntegrityError:
            continue
    raise ClassError("No free class code was found; try again.")


def class_info(engine: sa.Engine, code: str) -> ClassInfo:
    """The class with this code; ClassError if there is none."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(classes).where(classes.c.code == normal_code(code))
        ).first()
    if row is None:
        raise ClassError(f"There is no class with the code {normal_code(code) or '(empty)'}.")
    challenge = Challenge(**json.loads(row.challenge)) if row.challenge else None
    study = json.loads(row.study) if row.study else None
    return ClassInfo(row.code, row.title, row.created, bool(row.closed), challenge, study)


def join(engine: sa.Engine, code: str, nickname: str) -> ClassInfo:
    """Check that a student can join: the class exists and is open, the nickname is plain."""
    nickname = plain_text(nickname, MAX_NICKNAME, "nickname")
    info = class_info(engine, code)
    if info.closed:
        raise ClassError(f"The class {info.code} is closed.")
    return info


def share(engine: sa.Engine, code: str, nickname: str, record: runs.RunRecord) -> bool:
    """Share one run with the class. True if it is new on the board; False if this student
    had shared the same run already (it is stored once)."""
    nickname = plain_text(nickname, MAX_NICKNAME, "nickname")
    info = join(engine, code, nickname)
    text = json.dumps(vars(record), separators=(",", ":"))
    if len(text) > MAX_SHARED_BYTES:
        raise ClassError(
            f"This run's record is {len(text):,} bytes; at most {MAX_SHARED_BYTES:,} are shared."
        )
    runs.from_json(json.dumps({"format": "nn-explorer-runs", "runs": [vars(record)]}))
    with engine.begin() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).where(shared_runs.c.class_code == info.code)
        ).scalar()
        if count >= MAX_RUNS_PER_CLASS:
            raise ClassError(f"The class board is full ({MAX_RUNS_PER_CLASS:,} runs).")
        exists = connection.execute(
            sa.select(shared_runs.c.id).where(
                shared_runs.c.class_code == info.code,
                shared_runs.c.student == nickname,
                shared_runs.c.fingerprint == runs.fingerprint(record),
            )
        ).first()
        if exists is not None:
            return False
    try:
        with engine.begin() as connection:
            connection.execute(
                shared_runs.insert().values(
                    class_code=info.code,
                    student=nickname,
                    fingerprint=runs.fingerprint(record),
                    record=text,
                    shared=_now(),
                    hidden=False,
                )
            )
    except sa.exc.IntegrityError:  # the same run, shared twice at the same moment
        return False
    return True


def board_version(engine: sa.Engine, code: str) -> tuple:
    """What the board shows depends on only this: (runs, newest id, teacher changes). One
    cheap query per refresh tick; the board is rebuilt only when it changes."""
    with engine.connect() as connection:
        runs_count, newest = connection.execute(
            sa.select(sa.func.count(), sa.func.max(shared_runs.c.id)).where(
                shared_runs.c.class_code == normal_code(code)
            )
        ).one()
        changed = connection.execute(
            sa.select(classes.c.changed).where(classes.c.code == normal_code(code))
        ).scalar()
    return runs_count, newest, changed


def board(engine: sa.Engine, code: str, include_hidden: bool = False) -> list[SharedRun]:
    """The class's shared runs, oldest first (hidden ones only for the teacher)."""
    query = sa.select(shared_runs).where(shared_runs.c.class_code == normal_code(code))
    if not include_hidden:
        query = query.where(shared_runs.c.hidden == sa.false())
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(shared_runs.c.id)).all()
    return [
        SharedRun(
            row.id, row.student, runs.RunRecord(**json.loads(row.record)), row.shared, row.hidden
        )
        for row in rows
    ]


def _teacher(connection, code: str, key: str) -> str:
    """The class code if `key` is its teacher key; ClassError otherwise (the same message
    whether the class or the key is wrong, so a key cannot be probed class by class)."""
    stored = connection.execute(
        sa.select(classes.c.teacher_key_hash).where(classes.c.code == normal_code(code))
    ).scalar()
    if stored is None or not _key_matches(key or "", stored):
        raise ClassError("This teacher key does not open this class.")
    return normal_code(code)


def _bump(connection, code: str, **values) -> None:
    connection.execute(
        classes.update()
        .where(classes.c.code == code)
        .values(changed=classes.c.changed + 1, **values)
    )


def is_teacher(engine: sa.Engine, code: str, key: str) -> bool:
    try:
        with engine.connect() as connection:
            _teacher(connection, code, key)
    except ClassError:
        return False
    return True


def set_hidden(engine: sa.Engine, code: str, key: str, run_id: int, hidden: bool) -> None:
    """Teacher: hide a shared run from the board (or show it again)."""
    with engine.begin() as connection:
        code = _teacher(connection, code, key)
        connection.execute(
            shared_runs.update()
            .where(shared_runs.c.class_code == code, shared_runs.c.id == run_id)
            .values(hidden=hidden)
        )
        _bump(connection, code)


def set_challenge(engine: sa.Engine, code: str, key: str, challenge: Challenge | None) -> None:
    """Teacher: the challenge the leaderboard ranks (None: no challenge)."""
    if challenge is not None:
        text = plain_text(challenge.text, MAX_CHALLENGE_TEXT, "challenge text")
        challenge = Challenge(**{**vars(challenge), "text": text})
    with engine.begin() as connection:
        code = _teacher(connection, code, key)
        _bump(connection, code, challenge=json.dumps(vars(challenge)) if challenge else None)


def close_class(engine: sa.Engine, code: str, key: str) -> None:
    """Teacher: no more joining or sharing; the board stays readable and exportable."""
    with engine.begin() as connection:
        code = _teacher(connection, code, key)
        _bump(connection, code, closed=True)


def leaderboard(shared: list[SharedRun], challenge: Challenge) -> list[SharedRun]:
    """The runs that meet the challenge, best first; each student's best run only."""
    best: dict[str, SharedRun] = {}
    for run in shared:
        record = run.record
        value = record.metrics.get(challenge.metric)
        if run.hidden or not _meets(record, challenge) or not isinstance(value, int | float):
            continue
        kept = best.get(run.student)
        if kept is None or value > kept.record.metrics[challenge.metric]:
            best[run.student] = run
    return sorted(best.values(), key=lambda run: -run.record.metrics[challenge.metric])


def _meets(record: runs.RunRecord, challenge: Challenge) -> bool:
    """Whether a run counts for the challenge: its page, the parameter limit, the data seed."""
    limit, seed = challenge.max_parameters, challenge.data_seed
    return (
        record.page == challenge.page
        and (limit is None or record.parameter_count <= limit)
        and (seed is None or record.settings.get("data_seed") == seed)
    )


def board_table(shared: list[SharedRun]):
    """The board as one row per shared run (nn_core.runs.runs_table) with the student first."""
    table = runs.runs_table([run.record for run in shared])
    if shared:
        table.insert(0, "student", [run.student for run in shared])
        if any(run.hidden for run in shared):  # (the teacher's export)
            table.insert(2, "hidden", [run.hidden for run in shared])
    return table


def export_records(shared: list[SharedRun]) -> list[runs.RunRecord]:
    """The board's runs as records named "student/run", so that a teacher's export imports
    into the Runs page with every student's runs told apart."""
    return [replace(run.record, run_id=f"{run.student}/{run.record.run_id}") for run in shared]


def save_my_run(engine: sa.Engine, browser: str, record: runs.RunRecord) -> None:
    """Keep a run for this browser (once, however often it is saved); the oldest beyond
    MAX_MY_RUNS are dropped."""
    text = json.dumps(vars(record), separators=(",", ":"))
    try:
        with engine.begin() as connection:
            connection.execute(
                my_runs_table.insert().values(
                    browser=browser, fingerprint=runs.fingerprint(record), record=text
                )
            )
            kept = (
                sa.select(my_runs_table.c.id)
                .where(my_runs_table.c.browser == browser)
                .order_by(my_runs_table.c.id.desc())
                .limit(MAX_MY_RUNS)
            )
            connection.execute(
                my_runs_table.delete().where(
                    my_runs_table.c.browser == browser, my_runs_table.c.id.not_in(kept)
                )
            )
    except sa.exc.IntegrityError:  # saved before
        pass


def my_runs(engine: sa.Engine, browser: str) -> list[runs.RunRecord]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(my_runs_table.c.record)
            .where(my_runs_table.c.browser == browser)
            .order_by(my_runs_table.c.id)
        ).all()
    return [runs.RunRecord(**json.loads(row.record)) for row in rows]


def delete_my_runs(engine: sa.Engine, browser: str) -> int:
    """Forget this browser's runs; how many there were."""
    with engine.begin() as connection:
        return connection.execute(
            my_runs_table.delete().where(my_runs_table.c.browser == browser)
        ).rowcount


def remember_membership(engine: sa.Engine, browser: str, code: str | None, nickname=None):
    """The class this browser joined (None: it left)."""
    with engine.begin() as connection:
        connection.execute(memberships.delete().where(memberships.c.browser == browser))
        if code is not None:
            connection.execute(
                memberships.insert().values(browser=browser, class_code=code, nickname=nickname)
            )


def membership(engine: sa.Engine, browser: str) -> tuple[str, str] | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(memberships).where(memberships.c.browser == browser)
        ).first()
    return (row.class_code, row.nickname) if row else None


def vote(engine: sa.Engine, code: str, nickname: str, lesson: str, step: int, choice: str):
    """A student's answer to a lesson question (their latest answer counts)."""
    nickname = plain_text(nickname, MAX_NICKNAME, "nickname")
    choice = plain_text(choice, 200, "answer")
    info = join(engine, code, nickname)
    key = {"class_code": info.code, "lesson": lesson, "step": step, "student": nickname}
    for _attempt in range(3):  # (two answers of one student at the same moment)
        try:
            with engine.begin() as connection:
                connection.execute(
                    votes.delete().where(*(votes.c[name] == value for name, value in key.items()))
                )
                connection.execute(votes.insert().values(**key, choice=choice))
            return
        except sa.exc.IntegrityError:
            continue


def tally(engine: sa.Engine, code: str, lesson: str, step: int) -> dict[str, int]:
    """How many students chose each answer: choice -> count."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(votes.c.choice, sa.func.count())
            .where(
                votes.c.class_code == normal_code(code),
                votes.c.lesson == lesson,
                votes.c.step == step,
            )
            .group_by(votes.c.choice)
        ).all()
    return {choice: count for choice, count in rows}


def set_teacher_step(engine: sa.Engine, code: str, key: str, lesson: str | None, step):
    """Teacher: the lesson step the class is on (students who follow go there)."""
    with engine.begin() as connection:
        code = _teacher(connection, code, key)
        connection.execute(
            classes.update().where(classes.c.code == code).values(lesson=lesson, step=step)
        )


def teacher_step(engine: sa.Engine, code: str) -> tuple[str, int] | None:
    """(lesson, step) the teacher is on, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(classes.c.lesson, classes.c.step).where(classes.c.code == normal_code(code))
        ).first()
    return (row.lesson, row.step) if row and row.lesson else None


def set_study(engine: sa.Engine, code: str, key: str, study: dict | None) -> None:
    """Teacher: the class study every student can run trials of (None: no study)."""
    with engine.begin() as connection:
        code = _teacher(connection, code, key)
        _bump(connection, code, study=json.dumps(study) if study else None)
