"""The course map: each deck's unit, in the course's order, with the experiments, explain
presets and figures that show it, and the unit 002 quiz with the command whose output
answers each question. ``mlplab course`` prints it; docs/course.md is its Markdown
(``markdown()``), kept equal to it by a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    code: str               # the seed document's number, "000"
    title: str
    lessons: tuple[str, ...]
    experiments: tuple[str, ...] = ()   # names of `mlplab list`
    presets: tuple[str, ...] = ()       # names of `mlplab explain --example`
    commands: tuple[str, ...] = ()      # further commands (figures)
    images: tuple[tuple[str, str], ...] = ()   # (file in docs/img, what it shows)


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    command: str
    why: str


UNITS = (
    Unit("000", "Exercise: MLP for regression and for non-linear classification",
         ("standardise the inputs before training (the update depends on their scale)",
          "linear regression against an MLP on Auto MPG",
          "softmax regression against an MLP on data no line separates",
          "image classification on FER-2013; MLPs inside modern vision models (MLP-Mixer)"),
         ("auto-mpg", "normalization", "nonlinear", "nonlinear-zoo", "fer2013", "fer2013-180",
          "mixer"),
         ("standardize",),
         images=(("normalization-gradients.png", "normalization: the first batch's gradients "
                  "on raw features are 10^3 to 10^5 times those on standardised ones"),)),
    Unit("001", "Multilayer perceptron: from softmax regression to a network",
         ("sigmoid and softmax; the hours-studied tables, binary and 4-class",
          "one SGD step of softmax regression, then of a 2-2-1 network, by hand",
          "activations on a pre-activation; cross-entropy; parameter counts; Iris"),
         ("iris", "activations-depth", "linear-collapse"),
         ("softmax-step", "hours", "bce-step", "quoted"),
         ("mlplab plot activations", "mlplab summary 2-2-sigmoid-1-sigmoid"),
         images=(("activations-depth-gradients.png", "activations-depth: the sigmoid net's "
                  "gradient falls 7 orders of magnitude from the output layer to layer 1"),
                 ("activations-depth-dead.png", "activations-depth: half of ReLU's units die "
                  "at lr 0.5; LeakyReLU keeps 99% alive at lr 0.3"),
                 ("linear-collapse.png", "linear-collapse: a deep net without activations "
                  "and the one linear map it equals"))),
    Unit("002", "Multilayer perceptron on images: Fashion-MNIST",
         ("why a hidden layer (softmax regression's limit on complex data)",
          "the petal example forward and loss; mini-batches; Normalize(0.5, 0.5)",
          "784-256-10 and deeper nets; the quiz below"),
         ("fashion-mnist", "fashion-mnist-best"),
         ("petal", "quoted"),
         ("mlplab summary 784-256-relu-10", "mlplab data show fashion-mnist")),
    Unit("003", "Neural networks and deep learning (lecture 09)",
         ("the MP neuron to the MLP; backprop intuition on the sigmoid network",
          "activation functions; dropout; optimizers (SGD, momentum, Nesterov, Adagrad, "
          "Adadelta, RMSprop, Adam)",
          "CNNs: filtering, ReLU, max pooling; MLP-Mixer"),
         ("optimizers", "activations-depth", "cifar10", "mixer"),
         ("sigmoid-net", "cnn-filter"),
         ("mlplab plot optimizers", "mlplab plot optimizers --surface valley"),
         images=(("optimizers-curves.png", "optimizers: one net, seven update rules, the "
                  "same budget"),
                 ("optimizers-rosenbrock.png", "plot optimizers: each rule's path in "
                  "Rosenbrock's valley"))),
    Unit("004", "Modern deep learning: MLPs (DSAI5207)",
         ("the limits of linear models: XOR; feature maps",
          "output layers and losses per task; universal approximation",
          "MLPs in modern networks: transformer FFN, mixture of experts, implicit neural "
          "representations"),
         ("xor", "linear-collapse", "modern"),
         ("xor-threshold",)),
)

QUIZ = (
    Question("How many parameters has Linear(4, 3), ReLU, Linear(3, 2), ReLU, Linear(2, 3)?",
             "c) 32", "mlplab summary 4-3-relu-2-relu-3",
             "4*3+3 + 3*2+2 + 2*3+3 = 15 + 8 + 9"),
    Question("Can Linear(784, 256), ReLU, Linear(256, 10) take 2-D or 3-D images directly?",
             "a) no", "mlplab summary 28x28-256-relu-10",
             "Linear takes vectors: the image must be flattened first (the spec needs "
             "28x28-flatten-256-...)"),
    Question("For input > 0, which has the larger derivative, sigmoid or ReLU?", "b) ReLU",
             "mlplab plot activations",
             "ReLU's derivative is 1 there; sigmoid's is at most 0.25 (at 0) and falls off"),
    Question("Does data normalization affect the weight update?", "a) yes",
             "mlplab explain --example standardize",
             "the gradient of each weight is proportional to its input: raw, the salary "
             "weight's is 20 times the CGPA weight's, standardised 1.28 times"),
    Question("In the deep network shown, sigmoid activations cause a problem most related to "
             "which step?", "d) the weight update",
             "mlplab run activations-depth",
             "sigmoid' <= 0.25 shrinks the gradient layer by layer: the first layers barely "
             "move (7 orders of magnitude below the last in the run)"),
    Question("Which problems can an MLP with 5 hidden layers solve (last layer as needed)?",
             "a), b) and c): binary, multi-class and regression",
             "mlplab summary 4-16-relu-16-relu-16-relu-16-relu-16-relu-3",
             "the hidden layers are the same; only the output width and loss change (1 logit "
             "with BCE, k logits with cross-entropy, k values with MSE)"),
)


def markdown() -> str:
    """The course map as Markdown (docs/course.md)."""
    out = ["# The course, unit by unit", "",
           "Each deck of the course (the seed documents, in their order) with what shows its "
           "lessons in mlplab: experiments (`mlplab run NAME`), worked examples "
           "(`mlplab explain --example NAME`) and figures. `mlplab course` prints this page.",
           ""]
    for u in UNITS:
        out += [f"## Unit {u.code}: {u.title}", ""]
        out += [f"- {line}" for line in u.lessons]
        out.append("")
        if u.experiments:
            out.append("Experiments: " + ", ".join(f"`mlplab run {e}`" for e in u.experiments))
            out.append("")
        if u.presets:
            out.append("Worked examples: " + ", ".join(
                f"`mlplab explain --example {p}`" for p in u.presets))
            out.append("")
        if u.commands:
            out.append("Figures and tables: " + ", ".join(f"`{c}`" for c in u.commands))
            out.append("")
        for file, what in u.images:
            out += [f"![{what}](img/{file})", "", f"*{what}*", ""]
    out += ["## The unit 002 quiz", "",
            "| # | question | answer | see it with | why |", "|---|---|---|---|---|"]
    out += [f"| {i} | {q.text} | {q.answer} | `{q.command}` | {q.why} |"
            for i, q in enumerate(QUIZ, 1)]
    return "\n".join(out) + "\n"


def lines() -> list[str]:
    """The course map as plain text lines for the terminal, within 80 columns."""
    import textwrap

    out = []
    for u in UNITS:
        out += [f"Unit {u.code}: {u.title}"]
        for line in u.lessons:
            out += textwrap.wrap(line, 80, initial_indent="  - ", subsequent_indent="    ")
        for label, names in (("run:     ", u.experiments), ("explain: ", u.presets)):
            if names:
                out += textwrap.wrap(", ".join(names), 80, initial_indent="  " + label,
                                     subsequent_indent=" " * 11)
        for c in u.commands:
            out.append(f"  see:     {c}")
        out.append("")
    out.append("Unit 002 quiz")
    for i, q in enumerate(QUIZ, 1):
        for text, first in ((q.text, f"  {i}. "), (f"answer: {q.answer}; see: {q.command}",
                                                    "     "), (f"why: {q.why}", "     ")):
            out += textwrap.wrap(text, 80, initial_indent=first, subsequent_indent="     ")
    return out
