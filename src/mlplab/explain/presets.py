"""The course's worked examples (SPEC.md section 2) as ``mlplab explain --example NAME``.

Each preset sets up the slide's network, data and weights in the engine, traces it, and lists
the numbers the slide prints beside the engine's, so that a learner sees where a slide slipped
(SPEC.md's errata table). The slides write W with the bias row first and then one row per
input, (in, out); the engine's Linear.weight is (out, in) and its bias separate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlplab import kinds, nn
from mlplab.explain.core import (
    Comparison,
    Explanation,
    ExtraTable,
    Part,
    trace,
)
from mlplab.spec import ModelSpec


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    build: Callable[[int], Explanation]   # steps -> Explanation
    multi_step: bool = True               # whether --steps above 1 makes sense
    precision: int = 4                    # decimals printed unless --precision says otherwise


def _set(linear: nn.Linear, weight, bias) -> None:
    linear.weight.data[...] = np.asarray(weight, dtype=linear.weight.dtype)
    linear.bias.data[...] = np.asarray(bias, dtype=linear.bias.dtype)


def _slide_layout(weight_rows) -> tuple[np.ndarray, np.ndarray]:
    """The slides' W (bias row first, then (in, out) rows) -> (weight (out, in), bias)."""
    w = np.asarray(weight_rows, dtype=np.float64)
    return w[1:].T, w[0]


# -- course unit 000: why standardise (the CGPA/Salary table) -------------------------------
# The slide's first rows: CGPA, salary ('000), and the same rows standardised.
CGPA_SALARY = np.array([[3.0, 60.0], [3.0, 40.0], [4.0, 40.0]])
CGPA_SALARY_Z = np.array([[-1.184341, 1.520013], [-1.184341, -1.100699], [0.416120, -1.100699]])


def implied_scaling(raw: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and std per column that map two different raw values of it onto their
    standardised values (z = (x - mean) / std): the statistics of the slide's whole table,
    which shows only its first rows. raw, z : (n, d); returns (d,), (d,)."""
    means, stds = [], []
    for j in range(raw.shape[1]):
        a, b = (int(i) for i in np.unique(raw[:, j], return_index=True)[1][:2])
        std = (raw[a, j] - raw[b, j]) / (z[a, j] - z[b, j])
        means.append(raw[a, j] - z[a, j] * std)
        stds.append(std)
    return np.array(means), np.array(stds)


def standardize(steps: int = 1) -> Explanation:
    mean, std = implied_scaling(CGPA_SALARY, CGPA_SALARY_Z)
    parts, grads = [], {}
    for label, x in (("raw", CGPA_SALARY[:1]), ("standardised", CGPA_SALARY_Z[:1])):
        model = nn.constant_all_(ModelSpec.parse("2-1").build(dtype=np.float64), 0.1)
        tr = trace(model, x, np.array([[0.0]]), loss="mse", lr=0.01, steps=steps)
        grads[label] = next(u.grad for u in tr.steps[0].updates if u.key == "0.weight")[0]
        parts.append(Part(tr, title=f"Student 1, {label} features: x = "
                                    f"[{x[0, 0]:.4g}, {x[0, 1]:.4g}]"))
    ratio = {k: abs(g[1] / g[0]) for k, g in grads.items()}
    rows = [[i + 1, *CGPA_SALARY[i], *(f"{v:.6f}" for v in (CGPA_SALARY[i] - mean) / std)]
            for i in range(len(CGPA_SALARY))]
    return Explanation(
        "Example standardize: why standardise the features (course unit 000)",
        parts,
        intro=["The slide's table: CGPA and salary ('000) as two features of a linear model "
               "y_hat = w1 CGPA + w2 salary + w0, trained on the squared error. Raw, salary is "
               "about 20 times CGPA; standardised (x - mean) / std, both are a few units.",
               "Each part below takes student 1 through one SGD step (every weight 0.1, "
               "target y = 0: the ratio of the two weights' gradients does not depend on y)."],
        tables=[ExtraTable("The slide's rows, raw and standardised",
                           ["student", "CGPA", "salary", "CGPA (z)", "salary (z)"], rows),
                ExtraTable("Mean and std of the slide's whole table (read back from its "
                           "z values)", ["", "CGPA", "salary"],
                           [["mean", f"{mean[0]:.4f}", f"{mean[1]:.4f}"],
                            ["std", f"{std[0]:.4f}", f"{std[1]:.4f}"]]),
                ExtraTable("dSE/dw of student 1 = 2 (y_hat - y) x: one factor per feature",
                           ["features", "dSE/dw1 (CGPA)", "dSE/dw2 (salary)",
                            "|dw2| / |dw1|"],
                           [[k, f"{g[0]:.4f}", f"{g[1]:.4f}", f"{ratio[k]:.2f}"]
                            for k, g in grads.items()])],
        comparisons=[
            Comparison("student 1's salary (z), y_hat line", 1.5, CGPA_SALARY_Z[0, 1],
                       "1.52 a line later"),
            Comparison("student 3's CGPA (z)", 0.416120, (CGPA_SALARY[2, 0] - mean[0]) / std[0],
                       "one mean and std fit all rows"),
        ],
        closing=[f"Raw, the salary weight's gradient is {ratio['raw']:.0f} times the CGPA "
                 "weight's (60 / 3): one learning rate is too large for w2 or too small for "
                 f"w1. Standardised, the ratio is {ratio['standardised']:.2f} (1.52 / 1.18), "
                 "so one learning rate suits both, which is why the course standardises "
                 "before training (--example standardize; the normalization experiment shows "
                 "it on Auto MPG)."])


# -- course unit 001: the 2-2-1 network, one BCE step ---------------------------------------
def bce_step(steps: int = 1) -> Explanation:
    model = nn.constant_all_(ModelSpec.parse("2-2-relu-1-sigmoid").build(dtype=np.float64), 0.1)
    tr = trace(model, np.array([[1.0, 2.0]]), np.array([[0.0]]), loss="bce", lr=0.1,
               steps=steps)
    s1 = tr.steps[0]
    new = {u.key: u.new for u in s1.updates}
    comps = [
        Comparison("z^[1] (hidden)", np.array([0.4, 0.4]), s1.layers[0].z[0]),
        Comparison("z^[2] (output)", 0.18, s1.layers[1].z[0, 0]),
        Comparison("prediction a^[2]", 0.5449, s1.layers[1].a[0, 0]),
        Comparison("loss", 0.7872, s1.loss.value),
        Comparison("W^[1] after the step", np.array([[0.0946, 0.0891], [0.0946, 0.0891]]),
                   new["0.weight"]),
        Comparison("b^[1] after the step", np.array([0.0946, 0.0946]), new["0.bias"]),
        Comparison("W^[2] after the step", np.array([[0.0782, 0.0782]]), new["2.weight"]),
        Comparison("b^[2] after the step", np.array([0.0455]), new["2.bias"]),
        # the backward slide writes W_h bias row first, one row per input, (in, out)
        Comparison("W_h after the step, the slide's layout (bias row; x1's row; x2's row)",
                   np.array([[0.0946, 0.0946], [0.0946, 0.0891], [0.0946, 0.0891]]),
                   np.vstack([new["0.bias"], new["0.weight"].T]),
                   differs="the slide transposed the weight block: x1's row holds 0.0946 for "
                           "both units and x2's row 0.0891 for both (x2 = 2 doubles its "
                           "gradient)"),
    ]
    return Explanation(
        "Example bce-step: one SGD step of the 2-2-1 network (course unit 001)",
        [Part(tr)],
        intro=["The slides' network: Linear(2, 2), ReLU, Linear(2, 1), Sigmoid, every weight "
               "and bias 0.1.",
               "One sample x = [1, 2] with target y = 0; BCELoss; one SGD step with lr 0.1.",
               "The slides write W_h and W_z bias row first; here W^[l] is torch's "
               "Linear.weight, b^[l] its bias."],
        comparisons=comps)


# -- course unit 001: softmax regression, one step ------------------------------------------
def _softmax_model() -> nn.Sequential:
    lin = nn.Linear(1, 2, dtype=np.float64)
    _set(lin, [[0.3], [0.4]], [0.1, 0.2])  # theta = [[b0, b1], [w0, w1]] = [[.1, .2], [.3, .4]]
    return nn.Sequential(lin)


def _theta(weight, bias) -> np.ndarray:
    return np.array([bias, weight[:, 0]])


def softmax_step(steps: int = 1) -> Explanation:
    x, y = np.array([[0.5]]), np.array([0])
    tr = trace(_softmax_model(), x, y, loss="cross_entropy", lr=0.1, steps=steps)
    at_001 = trace(_softmax_model(), x, y, loss="cross_entropy", lr=0.01, steps=1)
    u = {v.key: v.new for v in tr.steps[0].updates}
    u001 = {v.key: v.new for v in at_001.steps[0].updates}
    slide = np.array([[0.105, 0.194], [0.302, 0.397]])
    theta_01 = _theta(u["0.weight"], u["0.bias"])
    theta_001 = _theta(u001["0.weight"], u001["0.bias"])
    comps = [
        Comparison("theta after one step, lr 0.1 (the slide's eta)", slide, theta_01,
                   "the slide's numbers are those of lr 0.01, truncated to 3 decimals",
                   also=[("engine with lr 0.01", theta_001)]),
        Comparison("theta after one step, lr 0.01", slide, theta_001,
                   "truncated to 3 decimals", rule="truncate"),
    ]
    return Explanation(
        "Example softmax-step: one SGD step of softmax regression (course unit 001)",
        [Part(tr, notes=[
            "The slide's theta = [[b0, b1], [w0, w1]] = [[0.1, 0.2], [0.3, 0.4]] multiplies "
            "x = [1, 0.5], whose 1 is the bias input: z_k = b_k + w_k * 0.5. In the engine "
            "that is Linear(1, 2) with W^[1] = [[0.3], [0.4]] (theta's second row, as a "
            "column), b^[1] = [0.1, 0.2] (theta's first row) and the input a^[0] = [0.5]; "
            "softmax sits inside CrossEntropyLoss, y = 0 (one-hot [1, 0]). The slide's "
            "gradient x (y_hat - y)^T is the table of dL/dtheta below."])],
        intro=["Softmax regression with two classes, one sample, one SGD step with "
               "lr 0.1 as the slide's text says (eta = 0.1)."],
        comparisons=comps,
        tables=[ExtraTable("theta = [[b0, b1], [w0, w1]] in the slide's layout",
                           ["", "b0 / w0 (class 0)", "b1 / w1 (class 1)"],
                           [["theta before"] + list(_theta(tr.steps[0].layers[0].weight,
                                                           tr.steps[0].layers[0].bias)[0]),
                            [""] + list(_theta(tr.steps[0].layers[0].weight,
                                               tr.steps[0].layers[0].bias)[1]),
                            ["theta after, lr 0.1"] + list(theta_01[0]),
                            [""] + list(theta_01[1]),
                            ["theta after, lr 0.01"] + list(theta_001[0]),
                            [""] + list(theta_001[1])])])


# -- course unit 002: the petal example -----------------------------------------------------
PETAL_X = np.array([[1.5, 0.2], [4.7, 1.6], [5.6, 2.2]])
PETAL_H = np.array([[1.373, -1.696], [4.708, -5.951], [5.731, -7.281]])   # the slide's h
PETAL_Z = np.array([[0.439, 0.356, 0.195], [1.507, 1.220, 0.670],         # and its logits
                    [1.835, 1.485, 0.816]])


def petal_weights_behind_the_slide() -> tuple[np.ndarray, np.ndarray, float, float]:
    """The weights the slide computed with, recovered by least squares from its own numbers
    (biases 0, as the slide's bias rows): W_h (2, 2) from h = X W_h, the output row (3,) from
    z = ReLU(h)_1 w (hidden unit 2 is negative, so ReLU zeroes it); and the largest residual
    of each fit."""
    w_h, *_ = np.linalg.lstsq(PETAL_X, PETAL_H, rcond=None)
    relu_h = np.maximum(PETAL_H, 0)[:, :1]
    w_z, *_ = np.linalg.lstsq(relu_h, PETAL_Z, rcond=None)
    return (w_h, w_z[0], float(np.abs(PETAL_X @ w_h - PETAL_H).max()),
            float(np.abs(relu_h @ w_z - PETAL_Z).max()))


def petal(steps: int = 1) -> Explanation:
    model = ModelSpec.parse("2-2-relu-3").build(dtype=np.float64)
    _set(model[0], *_slide_layout([[0, 0], [0.86, -1.04], [0.41, -0.65]]))
    _set(model[2], *_slide_layout([[0, 0, 0], [0.32, 0.25, 0.14], [-0.47, -1.06, 0.063]]))
    tr = trace(model, PETAL_X, np.array([0, 1, 2]), loss="cross_entropy", lr=0.1, steps=steps)
    s1 = tr.steps[0]
    w_h, w_z, res_h, res_z = petal_weights_behind_the_slide()
    own_loss = float(nn.CrossEntropyLoss()(PETAL_Z, np.array([0, 1, 2])))
    rounded = dict(differs="from the unrounded weights (table above), not the printed ones")
    comps = [
        Comparison("hidden pre-activation h = z^[1]", PETAL_H, s1.layers[0].z, **rounded),
        Comparison("ReLU(h) = a^[1]", np.maximum(PETAL_H, 0), s1.layers[0].a, **rounded),
        Comparison("logits z = z^[2]", PETAL_Z, s1.layers[1].z, **rounded),
        Comparison("softmax(z)", np.array([[0.369, 0.340, 0.289], [0.458, 0.343, 0.198],
                                           [0.484, 0.341, 0.174]]),
                   s1.loss.probs, **rounded),
        Comparison("mean cross-entropy loss", 1.269, s1.loss.value,
                   "the slide's own logits give 1.2690", **rounded),
        Comparison("mean cross-entropy of the slide's own logits", 1.269, own_loss,
                   "its arithmetic is right"),
    ]
    def fmt(row):
        return [f"{v:.4f}" for v in row]

    return Explanation(
        "Example petal: the 2-2-3 ReLU network on three Iris petals (course unit 002)",
        [Part(tr, notes=[
            "X = [[1.5, 0.2], [4.7, 1.6], [5.6, 2.2]] (petal length, petal width), labels "
            "[0, 1, 2]; the slide's W_h = [[0, 0], [0.86, -1.04], [0.41, -0.65]] and "
            "W_z = [[0, 0, 0], [0.32, 0.25, 0.14], [-0.47, -1.06, 0.063]] have the bias row "
            "first, so W^[1] = W_h's last two rows transposed, b^[1] its first row (and the "
            "same for W^[2]). ReLU, then softmax inside CrossEntropyLoss. The slide stops at "
            "the loss; the backward pass and an SGD step with lr 0.1 continue it."])],
        intro=["A batch of three samples: the loss is the mean over them, so every gradient "
               "is a sum over the samples of their per-sample terms, each divided by 3.",
               "The slide's arithmetic is right: its numbers come from weights it printed "
               "rounded to two decimals, which least squares recovers from its own h and z "
               "(the table below). The engine runs the weights as printed."],
        tables=[ExtraTable(f"The weights behind the slide's numbers (least squares on its h "
                           f"and z; largest residuals {res_h:.1e} and {res_z:.1e})",
                           ["", "unit 1", "unit 2", "unit 3"],
                           [["W_h, petal length", *fmt(w_h[0]), ""],
                            ["W_h, petal width", *fmt(w_h[1]), ""],
                            ["W_z, hidden unit 1", *fmt(w_z)]])],
        comparisons=comps)


# -- course unit 003: the sigmoid network of the backprop intuition -------------------------
def sigmoid_net(steps: int = 1) -> Explanation:
    out = nn.Sequential(nn.Linear(4, 1, dtype=np.float64), nn.Sigmoid())
    _set(out[0], [[0.7, -0.4, 0.2, 0.3]], [0.0])
    h = np.array([[0.87, 0.68, 0.95, 0.59]])
    top = trace(out, h, np.array([[1.0]]), loss="bce", lr=0.1, steps=1)
    s_top = top.steps[0]
    unit = nn.Sequential(nn.Linear(3, 1, dtype=np.float64), nn.Sigmoid())
    _set(unit[0], [[0.5, -0.3, 0.1]], [0.0])
    upstream = s_top.layers[0].dL_da_prev[:, :1]  # dLoss/dh1, from the output unit's backward
    low = trace(unit, np.array([[7.0, 8.0, 8.0]]), loss=None, upstream=upstream, lr=0.1)
    s_low = low.steps[0]
    comps = [
        Comparison("hidden unit 1: sigmoid(7 * 0.5 + 8 * -0.3 + 8 * 0.1)", 0.87,
                   s_low.layers[0].a[0, 0]),
        Comparison("output: sigmoid(.87 * .7 + .68 * -.4 + .95 * .2 + .59 * .3)", 0.67,
                   s_top.layers[0].a[0, 0]),
        Comparison("loss -ln(0.669)", 0.44, s_top.loss.value, "-ln(0.67) is 0.40, not 0.44"),
        Comparison("dyout/dypr = sigmoid'(ypr)", 0.223917,
                   s_top.layers[0].a[0, 0] * (1 - s_top.layers[0].a[0, 0]),
                   differs=f"the slide evaluates e^-x / (1 + e^-x)^2 at the output 0.67; the "
                           f"derivative belongs at the pre-activation ypr = "
                           f"{s_top.layers[0].z[0, 0]:.3f}"),
        Comparison("dLoss/dw4 (w4 = 0.7, from hidden unit 1 to the output)", -0.44,
                   s_top.layers[0].dW[0, 0],
                   "the slide writes -1/0.44 (the loss) for dLoss/dyout = -1/yout, "
                   "which is -1/0.669"),
        Comparison("dLoss/dw1 (w1 = 0.5, from x1 to hidden unit 1)", -0.282,
                   s_low.layers[0].dW[0, 0], "the same -1/0.44, carried down the chain"),
    ]
    return Explanation(
        "Example sigmoid-net: the backprop intuition of course unit 003",
        [Part(top, "the output unit", show_input_grad=True, notes=[
            "Course unit 003's network takes x = [7, 8, 8] (shooting, running, dribbling; "
            "is_top_player = 1) through four sigmoid hidden units to one sigmoid output. The "
            "slide gives only hidden unit 1's weights [0.5, -0.3, 0.1] (bias 0); units 2 to 4 "
            "appear as their outputs 0.68, 0.95, 0.59. So the explanation runs in two parts: "
            "first the output unit, a one-layer network on the hidden outputs "
            "a^[0] = h = [0.87, 0.68, 0.95, 0.59] (the slide's rounded values) with weights "
            "[0.7, -0.4, 0.2, 0.3] (the slide's w4 is W^[1]_11 = 0.7) and bias 0, then hidden "
            "unit 1. The slide's cross-entropy -ln(predicted probability) for class 1 is "
            "BCELoss with y = 1. The SGD step (lr 0.1) goes beyond the slide, which stops at "
            "the gradients."]),
         Part(low, "hidden unit 1", upstream_from=(
             "∂L/∂a^[0]_1 of part 1", r"\left.\frac{\partial L}{\partial a^{[0]}_1}"
             r"\right|_{\text{part 1}}"), notes=[
             "Hidden unit 1 as a one-layer network on x = [7, 8, 8] with weights "
             "[0.5, -0.3, 0.1] and bias 0 (the slide's w1 is W^[1]_11 = 0.5). Its loss "
             "gradient dLoss/dh1 is the engine's dLoss/da^[0]_1 from part 1 (the output "
             "unit's backward), handed down the chain."])],
        intro=["The slide's numbers: h1 = sigmoid(7 * 0.5 + 8 * -0.3 + 8 * 0.1) = 0.87, "
               "output sigmoid(.87 * .7 + .68 * -.4 + .95 * .2 + .59 * .3) = 0.67, loss "
               "-ln(0.67) = 0.44, then dLoss/dw4 and dLoss/dw1 by the chain rule."],
        comparisons=comps)


# -- course unit 003: a filter over an image, then max pooling ------------------------------
def x_image() -> np.ndarray:
    """The slides' 9x9 picture of an X: 1 on both diagonals inside a border of -1."""
    img = -np.ones((9, 9))
    for i in range(1, 8):
        img[i, i] = img[i, 8 - i] = 1
    return img


DIAGONAL_FILTER = np.where(np.eye(3) == 1, 1.0, -1.0)
# The slides' feature map and pooled map, written to two decimals (the pooling slides' copy of
# the map: the filtering slide's last map belongs to the shifted X it draws beside it).
SLIDE_MAP = np.array([
    [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33], [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
    [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55], [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
    [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11], [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
    [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77]])
SLIDE_POOLED = np.array([[1.00, 0.33, 0.55, 0.33], [0.33, 1.00, 0.33, 0.55],
                         [0.55, 0.33, 1.00, 0.11], [0.33, 0.55, 0.11, 0.77]])


def _truncate(a: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Cut to ``decimals`` toward zero, as the slides write 5/9 = 0.555... as 0.55 (the 1e-9
    keeps 1.00 from becoming 0.99 through the float error of 9/9)."""
    scale = 10.0 ** decimals
    return np.round(np.trunc(a * scale + np.sign(a) * 1e-9) / scale, decimals)


def cnn_filter(steps: int = 1) -> Explanation:
    from mlplab.nn.conv import Conv2d, MaxPool2d

    img = x_image()
    conv = Conv2d(1, 1, 3, bias=False, dtype=np.float64)   # the mean of the 9 products
    conv.weight.data[...] = DIAGONAL_FILTER / 9
    fmap = conv(img[None, None])[0, 0]
    pool = MaxPool2d(2, padding=1)                           # 7x7 padded to 8x8 with zeros
    pooled = pool(fmap[None, None])[0, 0]
    padded = np.pad(fmap, ((0, 1), (0, 1)))
    # the slides' two windows: the exact match, and one with 7 of 9 pixels agreeing
    products = {(r, c): img[r:r + 3, c:c + 3] * DIAGONAL_FILTER for r in range(7)
                for c in range(7)}
    five = next(rc for rc, p in products.items()
                if (p == [[1, 1, -1], [1, 1, 1], [-1, 1, 1]]).all())

    def grid(a, fmt="{:.4f}"):
        return [[i + 1, *(fmt.format(v) for v in row)] for i, row in enumerate(a)]

    def cols(n):
        return ["row", *(str(j + 1) for j in range(n))]

    return Explanation(
        "Example cnn-filter: a 3x3 filter over an X, then 2x2 max pooling (course unit 003)",
        [],
        intro=["The slides' picture: an X of 1s on a background of -1s, 9x9 pixels. The "
               "filter is a 3x3 diagonal of 1s (-1 elsewhere). Filtering one 3x3 patch: "
               "multiply pixel by filter entry, add the 9 products, divide by 9, so a patch "
               "equal to the filter gives 1. Moving the filter over every position (stride 1, "
               "no padding) gives a 7x7 feature map: where the feature is in the image.",
               "Computed by mlplab.nn.conv.Conv2d (weight = filter / 9, no bias) and "
               "MaxPool2d(2, padding=1): the engine's NumPy code, which "
               "tests/unit/test_conv.py checks against torch."],
        tables=[ExtraTable("The image", cols(9), grid(img, "{:.0f}")),
                ExtraTable("The filter", cols(3), grid(DIAGONAL_FILTER, "{:.0f}")),
                ExtraTable("Products of the patch at row 2, column 2 (the filter's match)",
                           cols(3), grid(products[(1, 1)], "{:.0f}")),
                ExtraTable(f"Products of the patch at row {five[0] + 1}, column {five[1] + 1}: "
                           "(7 - 2) / 9 = 5/9", cols(3), grid(products[five], "{:.0f}")),
                ExtraTable("The feature map (7x7), exact", cols(7), grid(fmap)),
                ExtraTable("Zero padding: the map on 8x8, written as the slides do (truncated)",
                           cols(8), grid(_truncate(padded), "{:.2f}")),
                ExtraTable("Max pooling, 2x2 windows, stride 2: the largest value of each",
                           cols(4), grid(pooled))],
        comparisons=[
            Comparison("the patch equal to the filter", 1.00, fmap[1, 1], "9/9"),
            Comparison("the patch with 5/9", 0.55, fmap[five], "5/9 = 0.5556 truncated",
                       rule="truncate"),
        ],
        closing=[f"Truncated to two decimals as the slides write them, "
                 f"{int((_truncate(fmap) == SLIDE_MAP).sum())} of the feature map's 49 values "
                 f"and {int((_truncate(pooled) == SLIDE_POOLED).sum())} of the pooled map's 16 "
                 "are the slides' (rounded, 7/9 and 5/9 would read 0.78 and 0.56).",
                 "Pooling keeps each region's strongest response (the diagonal's 1.00s stay) "
                 "while the map shrinks from 7x7 to 4x4; the padded zeros never win where a "
                 "window holds a positive value."])


# -- course unit 004: XOR from hand-set threshold units -------------------------------------
def xor_threshold(steps: int = 1) -> Explanation:
    net = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Step(),
                        nn.Linear(2, 1, dtype=np.float64), nn.Step())
    _set(net[0], [[1, 1], [1, 1]], [-1.5, -0.5])  # h1 = AND, h2 = OR
    _set(net[2], [[-1, 1]], [-0.5])               # y = OR and not AND
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    xor = np.array([[0.0], [1.0], [1.0], [0.0]])
    tr = trace(net, X, xor, loss="bce", lr=0.1, steps=1)
    s1 = tr.steps[0]
    h, out = s1.layers[0].a, s1.layers[1].a
    rows = [[int(X[n, 0]), int(X[n, 1]), int(h[n, 0]), int(h[n, 1]), int(out[n, 0]),
             int(xor[n, 0])] for n in range(4)]
    return Explanation(
        "Example xor-threshold: XOR from hand-set step units (course unit 004)",
        [Part(tr, notes=[
            "h1 = step(x1 + x2 - 1.5) is AND, h2 = step(x1 + x2 - 0.5) is OR, and "
            "y = step(h2 - h1 - 0.5) is 'OR and not AND', which is XOR. In the engine: "
            "W^[1] = [[1, 1], [1, 1]], b^[1] = [-1.5, -0.5], W^[2] = [[-1, 1]], "
            "b^[2] = [-0.5], step(z) = 1 if z >= 0 else 0. The four inputs form one batch; "
            "BCELoss against XOR's column is 0 because every output is exact."])],
        intro=["No single line separates XOR's classes, so one threshold unit cannot compute "
               "it; two hidden units can."],
        tables=[ExtraTable("Truth table", ["x1", "x2", "h1 (AND)", "h2 (OR)", "y_hat",
                                           "XOR"], rows)],
        comparisons=[Comparison("outputs on (0,0), (0,1), (1,0), (1,1)",
                                np.array([0.0, 1.0, 1.0, 0.0]), out[:, 0],
                                "the exact XOR truth table")])


# -- course unit 001: softmax regression on the hours-studied tables ------------------------
HOURS_PASS = ([0.5, 1.0, 1.5, 2.0], [0, 0, 1, 1])                       # binary: pass/fail
HOURS_SCORE = ([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], [0, 0, 1, 1, 2, 2, 3, 3])  # 4 classes
HOURS_ASKED = (0.25, 4.5)      # the slide's "???" rows
HOURS_LR = 0.1


def hours_fit(hours, labels, theta, epochs: int, lr: float = HOURS_LR,
              report=(1, 10, 100, 1000)):
    """Softmax regression trained as the slide does it: one sample at a time, in the table's
    order, ``epochs`` times, with the engine's Linear, CrossEntropyLoss and SGD.

    theta : the slide's layout, (2, classes): bias row, then the weight row.
    Returns (model, [(epoch, mean loss over the table, accuracy, theta)] at ``report``).
    """
    from mlplab.optim import SGD

    theta = np.asarray(theta, dtype=np.float64)
    lin = nn.Linear(1, theta.shape[1], dtype=np.float64)
    _set(lin, theta[1:].T, theta[0])
    model, loss_fn = nn.Sequential(lin), nn.CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=lr)
    X = np.asarray(hours, dtype=np.float64).reshape(-1, 1)
    y = np.asarray(labels, dtype=np.int64)
    rows = []
    for epoch in range(1, epochs + 1):
        for n in range(len(X)):
            opt.zero_grad()
            loss_fn(model(X[n:n + 1]), y[n:n + 1])
            model.backward(loss_fn.backward())
            opt.step()
        if epoch in report or epoch == epochs:
            out = model(X)
            rows.append((epoch, float(nn.CrossEntropyLoss()(out, y)),
                         float((out.argmax(axis=1) == y).mean()), _theta(lin.weight.data,
                                                                          lin.bias.data)))
    return model, rows


def _row(values) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _probs(model, hours) -> np.ndarray:
    return nn.Softmax(dim=-1)(model(np.asarray(hours, dtype=np.float64).reshape(-1, 1)))


def hours(steps: int = 1) -> Explanation:
    slide_theta = [[0.1, 0.2], [0.3, 0.4]]
    parts, tables, closing = [], [], []
    for (h, labels), theta, epochs, title in (
            (HOURS_PASS, slide_theta, 100, "Pass/fail (2 classes), the slide's theta"),
            (HOURS_SCORE, np.zeros((2, 4)), 1000, "Score (4 classes), theta all 0")):
        first = trace(hours_fit(h, labels, theta, 0)[0], np.array([[h[0]]]),
                      np.array([labels[0]]), loss="cross_entropy", lr=HOURS_LR, steps=steps)
        parts.append(Part(first, title=f"{title}: the first sample, x = [1, {h[0]}], "
                                       f"y = {labels[0]}"))
        model, rows = hours_fit(h, labels, theta, epochs)
        k = len(theta[0])
        tables.append(ExtraTable(
            f"{title}: training, one sample at a time, lr {HOURS_LR:g}",
            ["epoch", "mean loss", "accuracy", "", "theta"],
            [row for e, loss, acc, th in rows for row in (
                [e, f"{loss:.4f}", f"{acc:.0%}", "b", _row(th[0])],
                ["", "", "", "w", _row(th[1])])]))
        p = _probs(model, HOURS_ASKED)
        tables.append(ExtraTable(
            f"{title}: the slide's question, after {epochs} epochs",
            ["hours", *(f"P(class {c})" for c in range(k)), "predicted"],
            [[q, *(f"{v:.4f}" for v in p[i]), int(p[i].argmax())]
             for i, q in enumerate(HOURS_ASKED)]))
    new = {u.key: u.new for u in parts[0].trace.steps[0].updates}
    after_one = _theta(new["0.weight"], new["0.bias"])
    comps = [Comparison("theta after the first sample, lr 0.1",
                        np.array([[0.105, 0.194], [0.302, 0.397]]), after_one,
                        "the slide's numbers are those of lr 0.01, truncated (see "
                        "--example softmax-step)")]
    closing.append("Softmax regression draws one boundary per pair of classes along the hours "
                   "axis: 0.25 hours lies below every boundary (class 0: fail, score 0) and "
                   "4.5 hours above them (pass, score 3). Training longer only sharpens the "
                   "probabilities; the predicted classes of both rows no longer change.")
    return Explanation(
        "Example hours: softmax regression on the hours-studied tables (course unit 001)",
        parts,
        intro=["The slide's tables: hours studied against pass (0/1) and against a score "
               "0-3. theta = [[b0, b1, ...], [w0, w1, ...]] multiplies x = [1, hours]; in the "
               "engine that is Linear(1, classes) with W^[1] theta's weight row as a column "
               "and b^[1] its bias row, softmax inside CrossEntropyLoss.",
               f"Each SGD step (lr {HOURS_LR:g}) takes one sample, as the slide's '1) Pick a "
               "sample' does; an epoch takes the table's rows in order."],
        comparisons=comps, tables=tables, closing=closing)


# -- the single numbers the slides quote (course units 001 and 002) -------------------------
def quoted(steps: int = 1) -> Explanation:
    from mlplab.data import iter_batches, num_batches
    from mlplab.data.preprocessing import make_scaler

    z = np.array([0.18, -0.18])
    acts = {name: kinds.ACTIVATIONS[name]()(z.copy()) for name in ("sigmoid", "relu", "tanh")}
    ce = float(nn.CrossEntropyLoss()(np.array([[0.0580, 0.4275]]), np.array([0])))
    images = np.zeros((60_000, 1), np.float32)
    sizes = {b: [len(xb) for xb, _ in iter_batches(images, None, b)] for b in (1024, 3500)}
    pixels = np.arange(256, dtype=np.float64)
    normalize = (pixels / 255 - 0.5) / 0.5          # torchvision's ToTensor, Normalize(0.5, 0.5)
    symmetric = make_scaler("symmetric").fit(pixels[:, None]).transform(pixels[:, None])[:, 0]
    gap = float(np.abs(normalize - symmetric).max())
    return Explanation(
        "Example quoted: the single numbers the slides quote (course units 001 and 002)",
        [],
        intro=["Each number below is computed by mlplab's own code: nn's activations and "
               "CrossEntropyLoss, the data loaders' batching and the symmetric scaler."],
        tables=[ExtraTable("Activations on z = [0.18, -0.18] (unit 001)",
                           ["activation", "f(0.18)", "f(-0.18)"],
                           [[n, f"{a[0]:.4f}", f"{a[1]:.4f}"] for n, a in acts.items()]),
                ExtraTable("Mini-batches of Fashion-MNIST's 60,000 training images (unit 002)",
                           ["batch size", "batches", "last batch"],
                           [[b, len(n), n[-1]] for b, n in sizes.items()]),
                ExtraTable("Normalize(0.5, 0.5) after ToTensor against x / 127.5 - 1 (unit 002)",
                           ["pixel", "Normalize", "x / 127.5 - 1"],
                           [[int(p), f"{normalize[p]:.6f}", f"{symmetric[p]:.6f}"]
                            for p in (0, 1, 127, 128, 254, 255)])],
        comparisons=[
            Comparison("sigmoid([0.18, -0.18])", np.array([0.5449, 0.4551]), acts["sigmoid"]),
            Comparison("ReLU([0.18, -0.18])", np.array([0.18, 0.0]), acts["relu"]),
            Comparison("tanh([0.18, -0.18])", np.array([0.1781, -0.1781]), acts["tanh"]),
            Comparison("CrossEntropyLoss([0.0580, 0.4275], 0)", 0.8949, ce),
            Comparison("batches of 1024", 59, num_batches(60_000, 1024)),
            Comparison("batches of 3500 (the last of 500)", 18, num_batches(60_000, 3500)),
            Comparison("max |Normalize - (x / 127.5 - 1)|", 0.0, gap, "the same map"),
        ])


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("standardize", "why standardise: the CGPA/salary rows and their gradients "
           "(course unit 000)", standardize, multi_step=False),
    Preset("bce-step", "the 2-2-1 network, all weights 0.1, one BCE step (course unit 001)",
           bce_step),
    Preset("softmax-step", "softmax regression, one SGD step; the slide's lr slip "
           "(course unit 001)",
           softmax_step, precision=5),
    Preset("hours", "softmax regression on the hours tables, 2 and 4 classes; the slide's "
           "0.25 and 4.5 hours predicted (course unit 001)", hours),
    Preset("petal", "2-2-3 ReLU net on three Iris petals; the slide's slips (course unit 002)",
           petal),
    Preset("sigmoid-net", "the backprop intuition, -ln(0.669) = 0.402 not 0.44 "
           "(course unit 003)",
           sigmoid_net, multi_step=False),
    Preset("quoted", "the single numbers the slides quote: activations on +-0.18, "
           "cross-entropy 0.8949, batch counts, Normalize(0.5, 0.5) (units 001, 002)", quoted,
           multi_step=False),
    Preset("cnn-filter", "a 3x3 filter over the slides' X (1.00 and 0.55 = 5/9 truncated), "
           "zero padding and 2x2 max pooling (course unit 003)", cnn_filter,
           multi_step=False),
    Preset("xor-threshold", "XOR from step units; why backprop cannot train them "
           "(course unit 004)",
           xor_threshold, multi_step=False),
)}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        from mlplab.explain.core import ExplainError

        raise ExplainError(f"unknown example {name!r}; choose one of "
                           f"{', '.join(PRESETS)}") from None
