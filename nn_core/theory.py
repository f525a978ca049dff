"""The chapter's theory, computed: a neuron's output, activation functions and their
derivatives, the vectorised forward pass, universal approximation, gradient descent on a loss
surface, and backpropagation one chain-rule product at a time.

Derivatives come from TensorFlow's automatic differentiation (tf.GradientTape), never typed in,
except in the backpropagation walk-through, whose point is the hand computation; a test checks
every one of its numbers against GradientTape.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from nn_core import training

ACTIVATIONS = ("step", "sigmoid", "tanh", "relu", "linear")
VANISHING = 0.05  # a derivative below this barely passes a gradient back: the unit learns slowly


_FUNCTIONS = {"sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh, "relu": tf.nn.relu}


def activate(name: str, z):
    """An activation function applied to a tensor (step: 1 where z >= 0, else 0)."""
    if name == "step":
        return tf.cast(z >= 0, z.dtype)
    if name == "linear":
        return tf.identity(z)
    if name not in _FUNCTIONS:
        raise ValueError(f"Unknown activation '{name}': use {', '.join(ACTIVATIONS)}.")
    return _FUNCTIONS[name](z)


CURVE_Z = np.linspace(-6, 6, 241)  # where the activation curves are drawn


@functools.lru_cache(maxsize=len(ACTIVATIONS))
def activation_curve(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(f, f') over CURVE_Z, computed once per function."""
    return activation_and_derivative(name, CURVE_Z)


def activation_values(name: str, z: np.ndarray) -> np.ndarray:
    """f(z) at each z, as activation_and_derivative computes it, without the derivative (a
    third of the time: the plane's 40,000 points, a layer of 50 units, took 27 ms with it)."""
    return activate(name, tf.constant(np.asarray(z, dtype=np.float64))).numpy()


def activation_and_derivative(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(z), f'(z)) at each z, the derivative by automatic differentiation (the step's is 0
    wherever it is defined: no gradient can flow through it, which is why the perceptron rule
    is not gradient descent)."""
    values = tf.constant(np.asarray(z, dtype=np.float64))
    with tf.GradientTape() as tape:
        tape.watch(values)
        outputs = activate(name, values)
    derivative = tape.gradient(outputs, values)
    derivative = tf.zeros_like(values) if derivative is None else derivative
    return outputs.numpy(), derivative.numpy()


# ---------------------------------------------------------------------------- one neuron


def neuron_output(weights: tuple[float, float], bias: float, activation: str, points):
    """activation(w1 x1 + w2 x2 + b) for each point [n, 2]."""
    z = np.asarray(points, np.float64) @ np.asarray(weights, np.float64) + bias
    return activation_values(activation, z)


# ---------------------------------------------------------------------------- forward pass


@dataclass(frozen=True)
class LayerProduct:
    """One layer of the vectorised forward pass: Z = X W + b, A = f(Z), for a whole batch."""

    name: str
    inputs: np.ndarray  # X [batch, fan_in]
    kernel: np.ndarray  # W [fan_in, units]
    bias: np.ndarray  # b [units]
    pre_activation: np.ndarray  # Z [batch, units]
    output: np.ndarray  # A [batch, units]
    activation: str


def forward_products(layers, inputs, activations) -> list[LayerProduct]:
    """The forward pass as matrix products, layer by layer; layers: [(W, b), ...]."""
    products, current = [], np.asarray(inputs, np.float64)
    names = [f"Hidden layer {index}" for index in range(1, len(layers))] + ["Output layer"]
    for name, (kernel, bias), activation in zip(names, layers, activations, strict=True):
        z = current @ kernel + bias  # [batch, fan_in] @ [fan_in, units] + [units]
        a = activation_values(activation, z)
        products.append(LayerProduct(name, current, kernel, bias, z, a, activation))
        current = a
    return products


def network_products(spec, weights, inputs) -> list[LayerProduct]:
    """forward_products of a trained network of this spec (weights as Keras lists them: kernel
    and bias of each Dense layer): the hidden layers at its activation, the output layer's
    logits, whose activation (sigmoid, softmax, none for regression) is the caller's."""
    layers = list(zip(weights[0::2], weights[1::2], strict=True))
    activations = [spec.activation] * len(spec.hidden_units) + ["linear"]
    return forward_products(layers, inputs, activations)


def keras_output(layers, inputs, hidden_activation: str) -> np.ndarray:
    """The same network as a Keras Sequential model (sigmoid output), called on the batch: the
    reference the hand-written products must equal."""
    model = keras.Sequential(
        [keras.Input((layers[0][0].shape[0],))]
        + [
            keras.layers.Dense(kernel.shape[1], activation=hidden_activation, dtype="float64")
            for kernel, _ in layers[:-1]
        ]
        + [keras.layers.Dense(layers[-1][0].shape[1], activation="sigmoid", dtype="float64")]
    )
    model.set_weights([array for layer in layers for array in layer])
    return model(np.asarray(inputs, np.float64), training=False).numpy()


# ---------------------------------------------------------------------------- approximation

TARGETS = ("sine", "step", "absolute value", "bump")


def target_curve(name: str, x: np.ndarray) -> np.ndarray:
    """The 1-D functions a network of one hidden layer is asked to approximate."""
    if name == "sine":
        return np.sin(2 * x)
    if name == "step":
        return (x >= 0).astype(np.float64)
    if name == "absolute value":
        return np.abs(x) - 1
    if name == "bump":
        return np.exp(-4 * x**2)
    raise ValueError(f"Unknown target '{name}': use {', '.join(TARGETS)}.")


@dataclass(frozen=True)
class Approximation:
    """A one-hidden-layer tanh network fitted to a 1-D curve:
    y = sum over units j of v_j tanh(w_j x + b_j), plus c."""

    hidden_kernel: np.ndarray  # w [units]
    hidden_bias: np.ndarray  # b [units]
    output_kernel: np.ndarray  # v [units]
    output_bias: float  # c
    losses: np.ndarray  # mean squared error per epoch

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each hidden unit's weighted output v_j tanh(w_j x + b_j), [units, len(x)]: the
        "bumps" whose sum (plus c) is the fit."""
        return self.output_kernel[:, None] * np.tanh(
            self.hidden_kernel[:, None] * x[None, :] + self.hidden_bias[:, None]
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.contributions(x).sum(axis=0) + self.output_bias


MAX_APPROXIMATION_EPOCHS = 5000
_approximators: dict[int, tuple] = {}  # units -> (model, optimizer, compiled loop), reused
_approximators_lock = threading.Lock()


def approximate(x, y, units: int, epochs: int = 2000, learning_rate: float = 0.02, seed: int = 0):
    """Fit y(x) with `units` tanh units and a linear output by full-batch Adam on the mean
    squared error (all epochs in one compiled loop, compiled once per number of units)."""
    if not 1 <= units <= 200:
        raise ValueError("Use between 1 and 200 hidden units.")
    if not 1 <= epochs <= MAX_APPROXIMATION_EPOCHS:
        raise ValueError(f"Use between 1 and {MAX_APPROXIMATION_EPOCHS:,} epochs.")
    with _approximators_lock:  # one fit at a time per size: the model is reset and reused
        model, optimizer, loop = _approximator(units)
        initializer = keras.initializers.GlorotUniform(seed=seed)
        for layer in model.layers:
            layer.kernel.assign(initializer(layer.kernel.shape))
            layer.bias.assign(tf.zeros_like(layer.bias))
        # Spread the units' centres over the input range, as one would place the bumps.
        model.layers[0].bias.assign(np.linspace(-2, 2, units).astype(np.float32))
        for variable in optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        optimizer.learning_rate = learning_rate
        losses = loop(
            tf.constant(np.asarray(x, np.float32)[:, None]),
            tf.constant(np.asarray(y, np.float32)[:, None]),
            tf.constant(epochs),
        )
        hidden, output = model.layers
        return Approximation(
            hidden.kernel.numpy()[0].astype(np.float64),
            hidden.bias.numpy().astype(np.float64),
            output.kernel.numpy()[:, 0].astype(np.float64),
            float(output.bias.numpy()[0]),
            losses.numpy()[:epochs],
        )


def _approximator(units: int):
    if units not in _approximators:
        model = keras.Sequential(
            [keras.Input((1,)), keras.layers.Dense(units, activation="tanh"), keras.layers.Dense(1)]
        )
        optimizer = keras.optimizers.Adam()
        optimizer.build(model.trainable_variables)

        def loop(x, y, epochs):
            def one_epoch(epoch, losses):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean((model(x) - y) ** 2)
                gradients = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
                return epoch + 1, tf.tensor_scatter_nd_update(losses, [[epoch]], [loss])

            empty = tf.zeros([MAX_APPROXIMATION_EPOCHS])
            return tf.while_loop(lambda epoch, _: epoch < epochs, one_epoch, (0, empty))[1]

        compiled = tf.function(loop, autograph=False, jit_compile=True, reduce_retracing=True)
        _approximators[units] = (model, optimizer, compiled)
    return _approximators[units]


# ---------------------------------------------------------------------------- gradient descent

# A linear neuron y' = w x + b on eight points: its mean squared error is a bowl over (w, b),
# so every behaviour of the learning rate (crawling, converging, oscillating, diverging) shows.
DESCENT_X = np.array([-1.5, -1.0, -0.6, -0.2, 0.3, 0.8, 1.2, 1.7])
DESCENT_Y = np.array([-1.9, -1.1, -0.9, 0.2, 0.5, 1.9, 2.2, 3.1])
DIVERGED_LOSS = 1e6
CONVERGED_GAP = 0.005  # a loss this close to the bottom of the bowl counts as arrived


BOWL_AXIS = np.linspace(-4, 4, 121)  # w and b values where the loss surface is drawn


@functools.lru_cache(maxsize=1)
def bowl() -> np.ndarray:
    """The descent example's loss over BOWL_AXIS x BOWL_AXIS, computed once."""
    return mse_surface(BOWL_AXIS, BOWL_AXIS)


def mse_surface(w_values, b_values, x=DESCENT_X, y=DESCENT_Y) -> np.ndarray:
    """Mean squared error of w x + b over a grid, [len(b_values), len(w_values)]."""
    w, b = np.meshgrid(w_values, b_values)
    predictions = w[..., None] * x + b[..., None]
    return np.mean((predictions - y) ** 2, axis=-1)


def curvature_limit(x=DESCENT_X) -> float:
    """The learning rate above which plain gradient descent diverges on this bowl: 2 / the
    largest eigenvalue of the loss's Hessian (2 [[mean x², mean x], [mean x, 1]])."""
    hessian = 2 * np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]])
    return float(2 / np.linalg.eigvalsh(hessian).max())


@dataclass(frozen=True)
class DescentPath:
    points: np.ndarray  # [steps + 1, 3]: w, b, loss
    diverged_at: int | None  # the step at which the loss passed DIVERGED_LOSS, if it did


def descent_path(
    start, learning_rate: float, steps: int, momentum: float = 0.0, x=DESCENT_X, y=DESCENT_Y
) -> DescentPath:
    """Gradient descent from start = (w, b), gradients by tf.GradientTape, all steps in one
    compiled loop; the path stops where the loss passes DIVERGED_LOSS (reported, never drawn
    as NaN)."""
    if not 1 <= steps <= MAX_DESCENT_STEPS:
        raise ValueError(f"Use between 1 and {MAX_DESCENT_STEPS} steps.")
    rows = _descent_loop(
        tf.constant(np.asarray(start, np.float64)),
        tf.constant(learning_rate, tf.float64),
        tf.constant(momentum, tf.float64),
        tf.constant(steps),
        tf.constant(np.asarray(x, np.float64)),
        tf.constant(np.asarray(y, np.float64)),
    ).numpy()[: steps + 1]
    too_large = ~np.isfinite(rows[:, 2]) | (rows[:, 2] > DIVERGED_LOSS)
    if too_large.any():
        first = int(np.argmax(too_large))
        return DescentPath(rows[: max(first, 1)], first)
    return DescentPath(rows, None)


MAX_DESCENT_STEPS = 200


@tf.function(autograph=False, reduce_retracing=True)
def _descent_loop(start, learning_rate, momentum, steps, x, y):
    """Rows [MAX_DESCENT_STEPS + 1, 3] of (w, b, loss) before each step, then the last."""

    def loss_and_gradient(parameters):
        with tf.GradientTape() as tape:
            tape.watch(parameters)
            loss = tf.reduce_mean((parameters[0] * x + parameters[1] - y) ** 2)
        return loss, tape.gradient(loss, parameters)

    def one_step(step, parameters, velocity, rows):
        loss, gradient = loss_and_gradient(parameters)
        rows = tf.tensor_scatter_nd_update(rows, [[step]], [tf.concat([parameters, [loss]], 0)])
        velocity = momentum * velocity - learning_rate * gradient
        return step + 1, parameters + velocity, velocity, rows

    empty = tf.zeros([MAX_DESCENT_STEPS + 1, 3], tf.float64)
    step, parameters, _, rows = tf.while_loop(
        lambda step, *_: step < steps,
        one_step,
        (tf.constant(0), start, tf.zeros([2], tf.float64), empty),
    )
    loss, _ = loss_and_gradient(parameters)
    return tf.tensor_scatter_nd_update(rows, [[step]], [tf.concat([parameters, [loss]], 0)])


# ---------------------------------------------------------------------------- backpropagation


@dataclass(frozen=True)
class ChainStep:
    """One gradient of the backward pass: d(loss)/d(name) = product of the factors."""

    name: str  # e.g. "w_12": the weight from input 1 to hidden unit 2
    rule: str  # the chain rule in symbols, LaTeX
    factors: tuple[float, ...]  # the numbers multiplied
    value: float

    @property
    def label(self) -> str:
        """The name as plain text: w_{12} -> w_12, z_{out} -> z_out."""
        return self.name.replace("{", "").replace("}", "")


def chain(name: str, rule: str, *factors: float) -> ChainStep:
    """A gradient that is the product of its factors."""
    return ChainStep(name, rule, tuple(float(f) for f in factors), float(np.prod(factors)))


@dataclass(frozen=True)
class TinyNetwork:
    """A 2-2-1 network with sigmoid units: h = sigmoid(x W + b), y' = sigmoid(h . v + c)."""

    kernel: np.ndarray  # W [2 inputs, 2 hidden]
    bias: np.ndarray  # b [2]
    output_kernel: np.ndarray  # v [2]
    output_bias: float  # c

    def forward(self, x: np.ndarray, y: float) -> dict:
        """Every node's value for one sample: z (hidden pre-activations), h, z_out, y', loss."""
        z = x @ self.kernel + self.bias
        h = 1 / (1 + np.exp(-z))
        z_out = float(h @ self.output_kernel + self.output_bias)
        prediction = 1 / (1 + np.exp(-z_out))
        loss = -(y * np.log(prediction) + (1 - y) * np.log(1 - prediction))
        return {"z": z, "h": h, "z_out": z_out, "prediction": prediction, "loss": float(loss)}

    def backward(self, x: np.ndarray, y: float) -> list[ChainStep]:
        """The gradients in the order backpropagation finds them, output first; each is the
        gradient found one step earlier times one local derivative (the chain rule)."""
        values = self.forward(x, y)
        h, prediction = values["h"], values["prediction"]
        d_prediction = -y / prediction + (1 - y) / (1 - prediction)  # of binary cross-entropy
        steps = [
            ChainStep("y'", r"-\frac{y}{y'} + \frac{1-y}{1-y'}", (y, prediction), d_prediction)
        ]
        out = r"\frac{\partial L}{\partial z_{out}}"
        steps.append(
            chain(
                "z_{out}",
                r"\frac{\partial L}{\partial y'}\,y'(1-y')",
                d_prediction,
                prediction * (1 - prediction),
            )
        )
        d_out = steps[-1].value
        steps.append(chain("c", rf"{out} \cdot 1", d_out))
        steps += [chain(f"v_{j}", rf"{out}\,h_{j}", d_out, h[j - 1]) for j in (1, 2)]
        for j in (1, 2):
            d_hidden = chain(f"h_{j}", rf"{out}\,v_{j}", d_out, self.output_kernel[j - 1])
            d_z = chain(
                f"z_{j}",
                rf"\frac{{\partial L}}{{\partial h_{j}}}\,h_{j}(1-h_{j})",
                d_hidden.value,
                h[j - 1] * (1 - h[j - 1]),
            )
            at_z = rf"\frac{{\partial L}}{{\partial z_{j}}}"
            steps += [d_hidden, d_z, chain(f"b_{j}", rf"{at_z} \cdot 1", d_z.value)]
            steps += [
                chain(f"w_{{{i}{j}}}", rf"{at_z}\,x_{i}", d_z.value, x[i - 1]) for i in (1, 2)
            ]
        return steps

    def gradients(self, x, y) -> dict[str, float]:
        """Parameter gradients by name (w_{ij}, b_j, v_j, c), from the backward walk."""
        parameters = {f"w_{{{i}{j}}}" for i in (1, 2) for j in (1, 2)} | {
            "b_1",
            "b_2",
            "v_1",
            "v_2",
            "c",
        }
        return {step.name: step.value for step in self.backward(x, y) if step.name in parameters}

    def updated(self, x, y, learning_rate: float) -> TinyNetwork:
        """One gradient-descent step: every parameter minus learning rate times its gradient."""
        g = self.gradients(x, y)
        kernel = self.kernel - learning_rate * np.array(
            [[g["w_{11}"], g["w_{12}"]], [g["w_{21}"], g["w_{22}"]]]
        )
        bias = self.bias - learning_rate * np.array([g["b_1"], g["b_2"]])
        output_kernel = self.output_kernel - learning_rate * np.array([g["v_1"], g["v_2"]])
        return TinyNetwork(kernel, bias, output_kernel, self.output_bias - learning_rate * g["c"])


def tape_gradients(network: TinyNetwork, x, y) -> dict[str, float]:
    """The same gradients by tf.GradientTape, in float64: the reference for the walk-through."""
    variables = [
        tf.Variable(np.asarray(value, np.float64))
        for value in (network.kernel, network.bias, network.output_kernel, network.output_bias)
    ]
    kernel, bias, output_kernel, output_bias = variables
    with tf.GradientTape() as tape:
        h = tf.sigmoid(tf.constant(np.asarray(x, np.float64))[None] @ kernel + bias)
        prediction = tf.sigmoid(tf.reduce_sum(h[0] * output_kernel) + output_bias)
        loss = -(y * tf.math.log(prediction) + (1 - y) * tf.math.log(1 - prediction))
    d_kernel, d_bias, d_output, d_c = (g.numpy() for g in tape.gradient(loss, variables))
    names = {f"w_{{{i + 1}{j + 1}}}": d_kernel[i, j] for i in range(2) for j in range(2)}
    names.update({f"b_{j + 1}": d_bias[j] for j in range(2)})
    names.update({f"v_{j + 1}": d_output[j] for j in range(2)})
    return {**names, "c": float(d_c)}


def best_line(x=DESCENT_X, y=DESCENT_Y) -> tuple[float, float, float]:
    """(w, b, loss) at the bottom of the bowl: least squares, in closed form."""
    w, b = np.polyfit(x, y, 1)
    return float(w), float(b), float(np.mean((w * x + b - y) ** 2))


def describe_descent(path: DescentPath, x=DESCENT_X, y=DESCENT_Y) -> tuple[str, str]:
    """(kind, sentence) for a path: "diverged", "oscillating", "crawling" or "converged",
    judged from the path itself."""
    lowest = best_line(x, y)[2]
    losses = path.points[:, 2]
    if path.diverged_at is not None or losses[-1] > losses[0]:
        if path.diverged_at is None:
            return "diverged", (
                f"Diverging: the loss grew from {losses[0]:.2f} to {losses[-1]:,.2f} in "
                f"{len(losses) - 1} steps; each step overshoots the valley by more than it "
                f"started from. On this bowl plain gradient descent diverges above a learning "
                f"rate of {curvature_limit(x):.3f} (2 / the largest curvature)."
            )
        return "diverged", (
            f"Diverged: the loss passed {DIVERGED_LOSS:,.0f} at step {path.diverged_at}. Each "
            "step overshoots the valley by more than it started from, so the steps grow. "
            f"On this bowl plain gradient descent diverges above a learning rate of "
            f"{curvature_limit(x):.3f} (2 / the largest curvature)."
        )
    steps = np.diff(path.points[:, :2], axis=0)
    steep = np.linalg.eigh(np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]]))[1][:, -1]
    along = steps @ steep  # each step's move along the valley's steepest direction
    flips = np.mean(np.sign(along[1:]) != np.sign(along[:-1])) if len(along) > 1 else 0.0
    now, count = losses[-1], len(losses) - 1
    reached = now - lowest < CONVERGED_GAP
    where = f"the loss is {now:.4f} after {count} steps, the bottom of the bowl is {lowest:.4f}"
    if flips > 0.5:
        ending = "It still settles at the bottom." if reached else "It has not settled yet."
        return "oscillating", (
            f"Oscillating: {flips:.0%} of the steps reverse direction across the valley: each "
            f"one overshoots the bottom. {where[0].upper()}{where[1:]}. {ending}"
        )
    if reached:
        return "converged", f"Converged: {where}."
    if (np.diff(losses) < 0).all():
        return "crawling", (
            f"Crawling: every step lowers the loss, but too little: {where}. The steps are "
            "too small."
        )
    return "not there yet", f"Not at the bottom yet ({where}), and the loss rose on some steps."


# ---------------------------------------------------------------------------- initialisation


@dataclass(frozen=True)
class StartReport:
    """What a run's starting weights did, measured (nothing here is assumed)."""

    saturated_at_start: float  # share of hidden outputs with |tanh| > 0.99 before training
    first_loss: float  # training loss of the first epoch (a 50/50 guess scores log 2 = 0.69)
    final_loss: float
    weights_moved: float  # |hidden kernel change| / |starting hidden kernel| (inf from zero)
    unit_spread: float  # largest difference between two hidden units' outputs, after training


def start_report(result, points) -> StartReport:
    """Measure how a trained tanh network's starting weights shaped its training."""
    start = training.initial_weights(result.spec, result.config)
    start_outputs = np.tanh(points @ start[0] + start[1])
    moved = np.linalg.norm(result.weights[0] - start[0])
    size = np.linalg.norm(start[0])
    outputs = training.predict(result, points, hidden_layer=1)
    return StartReport(
        saturated_at_start=float(np.mean(np.abs(start_outputs) > 0.99)),
        first_loss=float(result.history["loss"].iloc[0]),
        final_loss=float(result.metrics["train_loss"]),
        weights_moved=float(moved / size) if size else (0.0 if moved == 0 else np.inf),
        unit_spread=float(np.ptp(outputs, axis=1).max()),
    )


def log_odds_curvature(points: np.ndarray, probabilities: np.ndarray) -> float:
    """How far a classifier's log-odds over the plane are from a plane: the largest residual
    of a least-squares fit of log(p / (1 - p)) by a + b x1 + c x2. A network whose layers are
    all linear has exactly planar log-odds (a straight boundary), whatever its depth."""
    clipped = np.clip(np.asarray(probabilities, np.float64).ravel(), 1e-6, 1 - 1e-6)
    log_odds = np.log(clipped / (1 - clipped))
    design = np.column_stack([np.ones(len(points)), points])
    coefficients, *_ = np.linalg.lstsq(design, log_odds, rcond=None)
    return float(np.abs(design @ coefficients - log_odds).max())
