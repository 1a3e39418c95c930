"""The options of ``mlplab train``, their defaults, and their validation (one line each).

The defaults are chosen to work out of the box on small tabular data: Adam with lr 1e-3,
100 epochs of batches of 32, 60/20/20 train/validation/test, and early stopping on the
validation loss with patience ``DEFAULT_PATIENCE``, keeping the best epoch's weights (without
it the 64-64 MLP overfits small tables: benchmarks/own_data_defaults.py; the figures are in
the README). Without ``--lr`` each optimizer gets the rate that suits it on standardised
inputs (its class's ``suggested_lr``, mlplab.optim).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlplab.data.dataset import DataError
from mlplab.util import is_int, is_number

MISSING_POLICIES = {
    "drop": "rows with a missing value are dropped",
    "mean": "missing values are filled with the training split's mean of their column",
}
# Epochs without a better validation loss before training stops (the best weights are kept).
# On Auto MPG, diabetes, wine and breast cancer (test scores, mean of seeds 0-4) 10 was the
# best of 5, 10, 20 and 30, or within 0.003 of it, on each, and stops the MLP after 20 to 65
# of its 100 epochs (benchmarks/own_data_defaults.py; the figures are in the README).
DEFAULT_PATIENCE = 10


@dataclass
class TrainOptions:
    """Everything ``mlplab train`` takes besides the data path. ``hidden`` holds the MLP's
    hidden widths; ``early_stopping`` a patience in epochs, False for off (--no-early-stopping)
    or None for the default: ``DEFAULT_PATIENCE`` where there is a validation split, else
    off. ``patience`` is the one that applies."""

    target: str | None = None
    task: str | None = None
    missing: str = "drop"
    drop: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    image_size: int | None = None
    grayscale: bool = True
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float | None = None            # None: the optimizer's suggested_lr
    epochs: int = 100
    batch_size: int = 32
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    early_stopping: int | bool | None = None
    seed: int = 0
    engine: str = "numpy"
    compare_sklearn: bool = False
    name: str | None = None

    def validate(self) -> TrainOptions:
        """Raise DataError naming the first bad option; return self."""
        from mlplab.engines import ENGINES
        from mlplab.optim.optimizers import OPTIMIZERS
        from mlplab.registry import activations

        _check_types(self)
        if self.task is not None and self.task not in ("regression", "classification"):
            raise DataError(f"--task {self.task!r}: choose regression or classification")
        _choice("--missing", self.missing, MISSING_POLICIES)
        _choice("--activation", self.activation, activations(hidden=True))
        _choice("--optimizer", self.optimizer, OPTIMIZERS)
        if self.lr is None:
            self.lr = OPTIMIZERS[self.optimizer].suggested_lr
        _choice("--engine", self.engine, ENGINES)
        if not self.hidden or any(w < 1 for w in self.hidden):
            raise DataError(f"--hidden {','.join(map(str, self.hidden))!r}: need one or more "
                            "positive widths, e.g. 64,64")
        if not self.lr > 0:
            raise DataError(f"--lr {self.lr}: the learning rate must be positive, e.g. 0.001")
        for opt, v in (("--epochs", self.epochs), ("--batch-size", self.batch_size)):
            if v < 1:
                raise DataError(f"{opt} {v}: must be at least 1")
        for opt, v in (("--val-fraction", self.val_fraction),
                       ("--test-fraction", self.test_fraction)):
            if not 0 <= v < 1:
                raise DataError(f"{opt} {v}: must be at least 0 and below 1 (0 turns the "
                                "split off)")
        if self.val_fraction + self.test_fraction >= 1:
            raise DataError(f"--val-fraction {self.val_fraction} and --test-fraction "
                            f"{self.test_fraction} leave no rows to train on; keep their sum "
                            "below 1")
        if self.early_stopping is not None and self.early_stopping is not False:
            if self.early_stopping < 1:
                raise DataError(f"--early-stopping {self.early_stopping}: the patience must be "
                                "at least 1 epoch")
            if self.val_fraction == 0:
                raise DataError("--early-stopping watches the validation loss: give a "
                                "--val-fraction above 0")
        if self.image_size is not None and self.image_size < 1:
            raise DataError(f"--image-size {self.image_size}: must be a positive number of "
                            "pixels")
        return self

    @property
    def patience(self) -> int | None:
        """The early-stopping patience that applies, None when it is off."""
        if self.early_stopping is False:
            return None
        if self.early_stopping is None:
            return DEFAULT_PATIENCE if self.val_fraction > 0 else None
        return int(self.early_stopping)


def _check_types(o: TrainOptions) -> None:
    """The types the CLI guarantees, for Python callers too: one line naming the option
    instead of a TypeError further on."""
    for opt, v in (("--missing", o.missing), ("--activation", o.activation),
                   ("--optimizer", o.optimizer), ("--engine", o.engine)):
        if not isinstance(v, str):
            raise DataError(f"{opt} {v!r}: must be a name (a string)")
    ints = {"--epochs": o.epochs, "--batch-size": o.batch_size, "--seed": o.seed}
    if o.image_size is not None:
        ints["--image-size"] = o.image_size
    if o.early_stopping is not None and o.early_stopping is not False:
        ints["--early-stopping"] = o.early_stopping
    for opt, v in ints.items():
        if not is_int(v):
            raise DataError(f"{opt} {v!r}: must be an integer")
    if o.seed < 0:
        raise DataError(f"--seed {o.seed}: must be 0 or more")
    if not isinstance(o.hidden, tuple | list) or not all(is_int(w) for w in o.hidden):
        raise DataError(f"--hidden {o.hidden!r}: need one or more positive integer widths, "
                        "e.g. 64,64")
    nums = {"--val-fraction": o.val_fraction, "--test-fraction": o.test_fraction}
    if o.lr is not None:
        nums["--lr"] = o.lr
    for opt, v in nums.items():
        if not is_number(v):
            raise DataError(f"{opt} {v!r}: must be a finite number")


def _choice(option: str, value: str, valid) -> None:
    if value not in valid:
        raise DataError(f"{option} {value!r}: choose one of {', '.join(valid)}")


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"64,64"`` -> (64, 64); a bad list raises DataError naming --hidden."""
    try:
        widths = tuple(int(t) for t in text.replace(" ", "").split(","))
    except ValueError:
        raise DataError(f"--hidden {text!r}: need comma-separated positive widths, "
                        "e.g. 64,64") from None
    if any(w < 1 for w in widths):
        raise DataError(f"--hidden {text!r}: need comma-separated positive widths, e.g. 64,64")
    return widths


def parse_names(text: str | None) -> tuple[str, ...]:
    """``"id, notes"`` -> ("id", "notes"); None -> ()."""
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())
