"""nn_core.class_store against SQLite and a real PostgreSQL server: classes, sharing (once per
run, whatever the retries), the board, teacher actions behind the key, and bad input."""

import threading
import uuid

import pytest
import sqlalchemy as sa

from class_helpers import sample_record, store_engine
from nn_core import class_store
from nn_core.class_store import Challenge, ClassError
from postgres_server import postgres_url, require_postgres


@pytest.fixture(scope="module")
def postgres_server():
    require_postgres()
    with postgres_url() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A new, empty database of each kind."""
    if request.param == "sqlite":
        return class_store.sqlite_url(tmp_path / "class.sqlite")
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def engine(database_url):
    with store_engine(database_url) as made:
        yield made


def test_a_class_has_a_hard_to_guess_code_and_a_key_stored_only_hashed(engine):
    code, key = class_store.create_class(engine, "Monday's class")
    assert len(code) == 8 and set(code) <= set(class_store.CODE_ALPHABET)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(class_store.classes.c.teacher_key_hash)).scalar()
    assert key not in stored and stored.startswith("scrypt$")
    assert class_store.is_teacher(engine, code, key)
    assert not class_store.is_teacher(engine, code, key + "x")
    other, _ = class_store.create_class(engine, "Tuesday")
    assert not class_store.is_teacher(engine, other, key)  # a key opens its own class only
    assert class_store.class_info(engine, code.lower()).title == "Monday's class"


def test_shared_runs_appear_on_the_board_once_whatever_the_retries(engine):
    code, _ = class_store.create_class(engine, "class")
    assert class_store.share(engine, code, "ada", sample_record(1, 0.9))
    assert not class_store.share(engine, code, "ada", sample_record(1, 0.9))  # a retry
    assert class_store.share(engine, code, "alan", sample_record(1, 0.9))  # another student
    assert class_store.share(engine, code, "ada", sample_record(2, 0.8))
    shown = class_store.board(engine, code)
    assert [(run.student, run.record.run_id) for run in shown] == [
        ("ada", "moons-1"),
        ("alan", "moons-1"),
        ("ada", "moons-2"),
    ]
    assert shown[0].record == sample_record(1, 0.9)  # settings, metrics and curves kept exactly


def test_concurrent_shares_lose_and_duplicate_nothing(engine):
    code, _ = class_store.create_class(engine, "class")
    errors = []

    def student(number):
        try:
            for run in range(3):
                record = sample_record(number * 10 + run, 0.8)
                class_store.share(engine, code, f"s{number}", record)
                class_store.share(engine, code, f"s{number}", record)  # double click
        except Exception as error:  # noqa: BLE001 (the test reports any failure)
            errors.append(error)

    threads = [threading.Thread(target=student, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    shown = class_store.board(engine, code)
    assert len(shown) == 24
    assert len({(run.student, run.record.run_id) for run in shown}) == 24


def test_board_version_changes_with_shares_and_teacher_actions_only(engine):
    code, key = class_store.create_class(engine, "class")
    first = class_store.board_version(engine, code)
    assert class_store.board_version(engine, code) == first
    class_store.share(engine, code, "ada", sample_record(1, 0.9))
    second = class_store.board_version(engine, code)
    assert second != first
    run_id = class_store.board(engine, code)[0].id
    class_store.set_hidden(engine, code, key, run_id, True)
    assert class_store.board_version(engine, code) != second
    assert class_store.board(engine, code) == []
    assert [run.hidden for run in class_store.board(engine, code, include_hidden=True)] == [True]


def test_teacher_actions_need_the_teacher_key(engine):
    code, key = class_store.create_class(engine, "class")
    class_store.share(engine, code, "ada", sample_record(1, 0.9))
    run_id = class_store.board(engine, code)[0].id
    other, other_key = class_store.create_class(engine, "another class")
    for wrong in ("", "guess", other_key):
        with pytest.raises(ClassError, match="teacher key does not open"):
            class_store.set_hidden(engine, code, wrong, run_id, True)
        with pytest.raises(ClassError, match="teacher key does not open"):
            class_store.close_class(engine, code, wrong)
        with pytest.raises(ClassError, match="teacher key does not open"):
            class_store.set_challenge(engine, code, wrong, None)
    assert len(class_store.board(engine, code)) == 1
    assert not class_store.class_info(engine, code).closed
    class_store.close_class(engine, code, key)
    with pytest.raises(ClassError, match="is closed"):
        class_store.share(engine, code, "ada", sample_record(2, 0.9))
    assert len(class_store.board(engine, code)) == 1  # still readable


def test_the_leaderboard_ranks_each_students_best_run_within_the_constraint(engine):
    code, key = class_store.create_class(engine, "class")
    class_store.share(engine, code, "ada", sample_record(1, 0.90, parameters=90))
    class_store.share(engine, code, "ada", sample_record(2, 0.93, parameters=99))
    class_store.share(engine, code, "alan", sample_record(3, 0.97, parameters=151))  # too big
    class_store.share(engine, code, "alan", sample_record(4, 0.91, parameters=41))
    class_store.share(engine, code, "grace", sample_record(5, 0.99, parameters=10, page="mnist"))
    challenge = Challenge(
        "Best validation accuracy, at most 100 parameters",
        "moons",
        "val_accuracy",
        max_parameters=100,
        data_seed=0,
    )
    class_store.set_challenge(engine, code, key, challenge)
    assert class_store.class_info(engine, code).challenge == challenge
    ranked = class_store.leaderboard(class_store.board(engine, code), challenge)
    assert [(run.student, run.record.run_id) for run in ranked] == [
        ("ada", "moons-2"),
        ("alan", "moons-4"),
    ]


@pytest.mark.parametrize(
    ("nickname", "message"),
    [
        ("", "nickname is empty"),
        ("x" * 25, "at most 24"),
        ("bad\x00name", "control characters"),
    ],
)
def test_bad_nicknames_are_refused_with_a_reason(engine, nickname, message):
    code, _ = class_store.create_class(engine, "class")
    with pytest.raises(ClassError, match=message):
        class_store.share(engine, code, nickname, sample_record(1, 0.9))
    assert class_store.board(engine, code) == []


def test_markup_in_a_nickname_is_kept_as_plain_text(engine):
    code, _ = class_store.create_class(engine, "class")
    nickname = "<b>*x*</b>'; DROP"
    class_store.share(engine, code, nickname, sample_record(1, 0.9))
    assert class_store.board(engine, code)[0].student == nickname  # parameterised SQL


def test_an_unknown_code_and_an_oversized_or_malformed_run_are_refused(engine):
    with pytest.raises(ClassError, match="no class with the code"):
        class_store.share(engine, "NOPE1234", "ada", sample_record(1, 0.9))
    code, _ = class_store.create_class(engine, "class")
    huge = sample_record(1, 0.9)
    huge.curves["loss"] = [0.5] * 20_000
    with pytest.raises(ClassError, match="bytes; at most"):
        class_store.share(engine, code, "ada", huge)
    broken = sample_record(2, 0.9)
    broken.curves["loss"] = broken.curves["loss"][:3]
    with pytest.raises(ValueError, match="different lengths"):
        class_store.share(engine, code, "ada", broken)
    assert class_store.board(engine, code) == []


def test_the_schema_is_versioned_and_a_newer_one_is_refused(database_url):
    with store_engine(database_url) as engine:
        class_store.create_schema(engine)  # a second start (or replica) changes nothing
        with engine.begin() as connection:
            versions = connection.execute(sa.select(class_store.schema_table.c.version)).all()
            assert [row.version for row in versions] == [class_store.SCHEMA_VERSION]
            connection.execute(class_store.schema_table.insert().values(version=99))
        with pytest.raises(class_store.StoreVersionError, match="schema version 99"):
            class_store.create_schema(engine)


def test_sqlite_uses_write_ahead_logging(tmp_path):
    with store_engine(class_store.sqlite_url(tmp_path / "c.sqlite")) as engine:
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_browsers_runs_and_class_are_kept_once_and_can_be_deleted(engine):
    browser, other = "a" * 32, "b" * 32
    for _ in range(2):  # saved again (a reload recording the same result): kept once
        class_store.save_my_run(engine, browser, sample_record(1, 0.9))
    class_store.save_my_run(engine, browser, sample_record(2, 0.8))
    class_store.save_my_run(engine, other, sample_record(3, 0.7))
    assert [record.run_id for record in class_store.my_runs(engine, browser)] == [
        "moons-1",
        "moons-2",
    ]
    assert class_store.delete_my_runs(engine, browser) == 2
    assert class_store.my_runs(engine, browser) == []
    assert len(class_store.my_runs(engine, other)) == 1  # another browser's runs stay
    code, _ = class_store.create_class(engine, "class")
    class_store.remember_membership(engine, browser, code, "ada")
    assert class_store.membership(engine, browser) == (code, "ada")
    class_store.remember_membership(engine, browser, None)
    assert class_store.membership(engine, browser) is None


def test_votes_are_tallied_one_per_student_and_the_teachers_step_is_shared(engine):
    code, key = class_store.create_class(engine, "class")
    class_store.vote(engine, code, "ada", "xor", 2, "It bends")
    class_store.vote(engine, code, "alan", "xor", 2, "Still one line")
    class_store.vote(engine, code, "alan", "xor", 2, "It bends")  # changed his mind
    class_store.vote(engine, code, "grace", "xor", 3, "Yes")  # another step
    assert class_store.tally(engine, code, "xor", 2) == {"It bends": 2}
    assert class_store.teacher_step(engine, code) is None
    class_store.set_teacher_step(engine, code, key, "xor", 3)
    assert class_store.teacher_step(engine, code) == ("xor", 3)
    with pytest.raises(ClassError, match="teacher key does not open"):
        class_store.set_teacher_step(engine, code, "guess", "xor", 1)


def test_a_version_1_store_is_upgraded_and_keeps_its_classes(database_url):
    """A store made by the first class mode (no lesson step, no class study) is upgraded in
    place when the app starts on it."""
    old = sa.MetaData()
    sa.Table(
        "nn_classes",
        old,
        *(
            sa.Column(column.name, column.type, primary_key=column.primary_key)
            for column in class_store.classes.columns
            if column.name not in ("lesson", "step", "study")
        ),
    )
    sa.Table("nn_schema", old, sa.Column("version", sa.Integer, primary_key=True))
    engine = sa.create_engine(database_url)
    old.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO nn_schema (version) VALUES (1)"))
        connection.execute(
            sa.text(
                "INSERT INTO nn_classes (code, title, teacher_key_hash, created, closed, changed)"
                " VALUES ('OLDCLASS', 'old', 'scrypt$00$00', 'then', false, 0)"
            )
        )
    engine.dispose()
    with store_engine(database_url) as upgraded:
        assert class_store.class_info(upgraded, "OLDCLASS").title == "old"
        code, key = class_store.create_class(upgraded, "new")
        class_store.set_teacher_step(upgraded, code, key, "xor", 2)
        assert class_store.teacher_step(upgraded, code) == ("xor", 2)
        with upgraded.connect() as connection:
            versions = connection.execute(sa.select(class_store.schema_table.c.version)).all()
        assert max(row.version for row in versions) == class_store.SCHEMA_VERSION
