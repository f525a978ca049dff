"""Guided lessons: predict, then reveal, on live networks.

A lesson is a TOML file a teacher can write by hand: a title, then steps. A step names a page
and its settings (the names the page's link uses, e.g. `units_0` on the MLP page), says what to
look at, may ask a question with 2-4 choices, and has a reveal text in which `{field}` (or
`{field:.0%}`) is replaced by the result's number. A step may state claims about its result,
checked by the test suite against the real network, so a lesson never says something the
network does not do:

    title = "Under- and overfitting on moons"

    [[step]]
    page = "mlp_moons"
    settings = { units_0 = 1 }
    look = "One hidden unit. Look at the boundary."
    question = "What shape will the boundary be?"
    choices = ["A straight line", "A curve between the moons"]
    answer = 1
    reveal = "A straight line: training accuracy {train_accuracy:.0%}."
    claims = ["boundary is linear", "train_accuracy < 0.9"]

Claims: `FIELD OP NUMBER`, `FIELD OP FIELD`, `FIELD OP FIELD + NUMBER` (or `- NUMBER`), OP one
of < <= > >= == !=, and the phrases in PHRASES. Fields: see FIELDS. No Streamlit here: the
player is ui/lesson.py.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from nn_core import diagnostics

# The pages a step may name (their URL paths) and each one's prefix for settings in links.
PAGES = {
    "perceptron": "perceptron",
    "inside_a_network": "inside",
    "how_it_learns": "learns",
    "mlp_moons": "moons",
    "mnist": "mnist",
    "imdb": "imdb",
}
# Result fields a claim or a reveal text may use, and what each one is.
FIELDS = {
    "train_accuracy": "training accuracy (0-1; R² for a regression)",
    "val_accuracy": "validation accuracy (0-1; R² for a regression)",
    "test_accuracy": "accuracy on the test set (MNIST, IMDB)",
    "train_loss": "training loss at the end",
    "val_loss": "validation loss at the end",
    "best_val_loss": "the lowest validation loss of the run",
    "val_loss_rise": "how far the validation loss rose after its lowest point (overfitting)",
    "gap": "train_accuracy - val_accuracy",
    "parameters": "the network's parameter count",
    "epochs_done": "epochs trained",
    "best_epoch": "the epoch of the lowest validation loss (numbered from 1)",
    "near_zero_weights": "share of hidden weights within ±0.01 of zero (L1 makes many)",
    "boundary_linear": "1 if the decision boundary is a straight line, else 0 (2-D pages)",
    "converged": "1 if the perceptron rule converged (every sample right), else 0 (perceptron)",
    "errors_last_epoch": "samples the perceptron still got wrong in its last epoch",
    "neuron_output_min": "the lowest output of the neuron over the plane (one neuron)",
    "neuron_output_max": "the highest output of the neuron over the plane (one neuron)",
    "sigmoid_slope": "the sigmoid's slope f'(z) at the probe z (activation functions)",
    "tanh_slope": "tanh's slope at the probe z (activation functions)",
    "relu_slope": "ReLU's slope at the probe z (activation functions)",
    "linear_accuracy": "validation accuracy of the linear-activation network (why non-linear)",
    "tanh_accuracy": "validation accuracy of the tanh network (why non-linear)",
    "linear_curvature": "how far the linear network's log-odds bend from a plane (why non-linear)",
    "tanh_curvature": "how far the tanh network's log-odds bend from a plane (why non-linear)",
    "fit_error": "mean squared error of the fitted curve (universal approximation)",
    "start_loss": "the loss where gradient descent starts (gradient descent)",
    "final_loss": "the loss after the last step (gradient descent)",
    "diverged": "1 if gradient descent diverged, else 0 (gradient descent)",
    "loss_before": "the sample's loss before the update (backpropagation)",
    "loss_after": "the sample's loss after one update (backpropagation)",
}
PHRASES = {  # claim sentences that stand for a field comparison
    "boundary is linear": ("boundary_linear", "==", 1.0),
    "boundary is not linear": ("boundary_linear", "==", 0.0),
    "perceptron converges": ("converged", "==", 1.0),
    "perceptron does not converge": ("converged", "==", 0.0),
    "descent diverges": ("diverged", "==", 1.0),
    "descent does not diverge": ("diverged", "==", 0.0),
}
OPERATORS = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
STEP_KEYS = {"page", "settings", "look", "question", "choices", "answer", "reveal", "claims"}
STEP_KEYS |= {"show"}
_CLAIM = re.compile(
    r"^\s*(?P<field>[a-z_]+)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?:(?P<number>-?\d+(?:\.\d+)?)|(?P<other>[a-z_]+)\s*(?:(?P<sign>[+-])\s*"
    r"(?P<offset>\d+(?:\.\d+)?))?)\s*$"
)


class LessonError(ValueError):
    """A lesson file that cannot be used: the message names the line and the problem."""


@dataclass(frozen=True)
class Claim:
    text: str  # as the lesson writes it
    field: str
    op: str
    number: float = 0.0  # compared with, or added to `other`
    other: str | None = None

    def holds(self, fields: dict) -> bool:
        """Whether it is true of a result's fields (a missing or NaN field: not true)."""
        left = fields.get(self.field)
        right = self.number if self.other is None else fields.get(self.other)
        if left is None or right is None or _nan(left) or _nan(right):
            return False
        if self.other is not None:
            right = right + self.number
        return OPERATORS[self.op](float(left), float(right))


@dataclass(frozen=True)
class Step:
    page: str
    settings: dict = field(default_factory=dict)  # setting name (no prefix) -> value as text
    look: str = ""
    question: str = ""
    choices: tuple[str, ...] = ()
    answer: int | None = None  # 1-based, if the question has a right answer
    reveal: str = ""
    claims: tuple[Claim, ...] = ()
    show: tuple[str, ...] = ()  # presenter mode: the controls kept (as `show=`)
    line: int = 0  # where the step starts in its file
    settings_line: int = 0  # where its settings are


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's stem: ?lesson=NAME
    title: str
    about: str
    steps: tuple[Step, ...]
    order: int = 100  # where the home page lists it (the chapter's order), then by name

    @property
    def pages(self) -> list[str]:
        """The pages its steps visit, in order of first visit."""
        return list(dict.fromkeys(step.page for step in self.steps))


def read(path: Path) -> Lesson:
    """The lesson in a file, parsed once per distinct text: a lesson's every page run reads
    it (5 ms of parsing each time), and a teacher's edit is still picked up."""
    return _parse_once(path.read_text(encoding="utf-8"), path.stem)


@functools.lru_cache(maxsize=64)
def _parse_once(text: str, name: str) -> Lesson:
    return parse(text, name)  # (a LessonError is raised again on every read: not cached)


def parse(text: str, name: str) -> Lesson:
    """A Lesson from a lesson file's text, or LessonError naming the line and the problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"Not valid TOML: {error}.") from None
    lines = _StepLines(text)
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        raise LessonError('Line 1: the lesson needs a title, e.g. title = "Overfitting".')
    steps = document.get("step")
    if not isinstance(steps, list) or not steps:
        raise LessonError("The lesson has no steps: add at least one [[step]] section.")
    parsed = tuple(_step(raw, index, lines) for index, raw in enumerate(steps))
    order = document.get("order", 100)
    if not isinstance(order, int):
        raise LessonError("order must be a whole number (where the home page lists the lesson).")
    return Lesson(name, title.strip(), str(document.get("about", "")).strip(), parsed, order)


def _step(raw: dict, index: int, lines: _StepLines) -> Step:
    where = lambda key: f"Line {lines.of(index, key)} (step {index + 1})"  # noqa: E731
    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise LessonError(
            f"{where(unknown[0])}: unknown key '{unknown[0]}'; a step has "
            f"{', '.join(sorted(STEP_KEYS))}."
        )
    page = raw.get("page")
    if page not in PAGES:
        raise LessonError(f"{where('page')}: unknown page '{page}'; use one of {', '.join(PAGES)}.")
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where('settings')}: settings must be a table, e.g. {{ l2 = 0.001 }}.")
    choices = raw.get("choices", [])
    question = str(raw.get("question", ""))
    if choices and not (isinstance(choices, list) and 2 <= len(choices) <= 4):
        raise LessonError(f"{where('choices')}: a question has 2 to 4 choices.")
    if choices and not question:
        raise LessonError(f"{where('choices')}: choices without a question.")
    answer = raw.get("answer")
    if answer is not None and not (isinstance(answer, int) and 1 <= answer <= len(choices)):
        raise LessonError(
            f"{where('answer')}: answer is the number of a choice, 1 to {len(choices)}."
        )
    claims = raw.get("claims", [])
    if not isinstance(claims, list):
        raise LessonError(f"{where('claims')}: claims is a list of sentences.")
    reveal = str(raw.get("reveal", ""))
    try:
        _check_reveal(reveal)
        parsed_claims = tuple(parse_claim(str(claim)) for claim in claims)
    except LessonError as error:
        key = "reveal" if "reveal" in str(error) else "claims"
        raise LessonError(f"{where(key)}: {error}") from None
    return Step(
        page=page,
        settings={str(name): _as_text(value) for name, value in settings.items()},
        look=str(raw.get("look", "")),
        question=question,
        choices=tuple(str(choice) for choice in choices),
        answer=answer,
        reveal=reveal,
        claims=parsed_claims,
        show=tuple(str(name) for name in raw.get("show", ())),
        line=lines.of(index, None),
        settings_line=lines.of(index, "settings"),
    )


def parse_claim(text: str) -> Claim:
    phrase = PHRASES.get(" ".join(text.lower().split()))
    if phrase is not None:
        name, op, number = phrase
        return Claim(text, name, op, number)
    match = _CLAIM.match(text)
    if match is None:
        raise LessonError(
            f"the claim '{text}' is not of the form 'field < number' or 'field < field - number' "
            f"(or one of: {', '.join(PHRASES)})."
        )
    for name in (match["field"], match["other"]):
        if name is not None and name not in FIELDS:
            raise LessonError(
                f"the claim '{text}' names an unknown field '{name}'; fields: {', '.join(FIELDS)}."
            )
    if match["number"] is not None:
        return Claim(text, match["field"], match["op"], float(match["number"]))
    offset = float(match["offset"] or 0) * (-1 if match["sign"] == "-" else 1)
    return Claim(text, match["field"], match["op"], offset, match["other"])


def fill(reveal: str, fields: dict) -> str:
    """The reveal text with its {field} (and {field:format}) places filled from a result."""
    parts = []
    for literal, name, spec, _conversion in string.Formatter().parse(reveal):
        parts.append(literal)
        if name is None:
            continue
        value = fields.get(name)
        if value is None or _nan(value):
            parts.append("n/a")
        else:
            parts.append(format(value, spec or ("," if isinstance(value, int) else ".3g")))
    return "".join(parts)


def training_fields(result) -> dict:
    """The fields every trained network reports (train/validation accuracy and loss, gap,
    parameters, epochs, best epoch) from a nn_core.training result."""
    history, metrics = result.history, result.metrics
    validated = bool(history["val_loss"].notna().any())
    monitored = history["val_loss"] if validated else history["loss"]
    best_val_loss = float(history["val_loss"].min()) if validated else math.nan
    return {
        "train_accuracy": metrics["train_accuracy"],
        "val_accuracy": metrics["val_accuracy"],
        "train_loss": float(history["loss"].iloc[-1]),
        "val_loss": float(history["val_loss"].iloc[-1]),
        "best_val_loss": best_val_loss,
        "val_loss_rise": float(history["val_loss"].iloc[-1]) - best_val_loss,
        "gap": metrics["train_accuracy"] - metrics["val_accuracy"],
        "parameters": result.parameter_count,
        "epochs_done": len(history),
        "best_epoch": diagnostics.best_epoch(monitored),
    }


def _check_reveal(reveal: str) -> None:
    try:
        places = [name for _, name, _, _ in string.Formatter().parse(reveal) if name is not None]
    except ValueError as error:
        raise LessonError(f"the reveal text has a stray brace ({error}).") from None
    for name in places:
        if name not in FIELDS:
            raise LessonError(
                f"the reveal text names an unknown field '{{{name}}}'; fields: {', '.join(FIELDS)}."
            )


def _as_text(value) -> str:
    """A setting's value as its link writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


class _StepLines:
    """Where each [[step]] and its keys are in the file (tomllib gives no line numbers)."""

    def __init__(self, text: str):
        self.starts: list[int] = []
        self.keys: list[dict[str, int]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("[[step]]"):
                self.starts.append(number)
                self.keys.append({})
            elif self.keys and "=" in stripped and not stripped.startswith("#"):
                self.keys[-1].setdefault(stripped.split("=", 1)[0].strip(), number)

    def of(self, index: int, key: str | None) -> int:
        if index >= len(self.starts):
            return 0
        return self.keys[index].get(key, self.starts[index]) if key else self.starts[index]
