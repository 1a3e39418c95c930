"""The page's setup as an experiment file for ``mlplab run`` and as a short Python script.

Both train what the page trained: the same registered data set and arguments (features
included), split, spec, loss, optimizer, seed and epochs, so ``mlplab run FILE`` ends on the
page's test loss. What a file cannot say (a learning rate changed while training, a
half-done epoch) is written in its notes instead of silently dropped.
"""

from __future__ import annotations

import json
import re

from mlplab.playground.schema import DATASETS, loader_args


def _value(v) -> str:
    """A TOML value for the plain types a setup holds."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def csv_name(filename: str) -> str:
    """The uploaded file's own name, reduced to a safe base name."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1])
    return base if base.strip("._") else "data.csv"


def data_entry(s) -> tuple[str, dict, dict]:
    """(registered name, loader arguments, the [[data]] keys that choose the splits)."""
    c = s.config
    choice = DATASETS[c.dataset]
    test_fraction = (100 - c.train_pct) / 100
    if c.dataset == "upload":
        args = {"path": csv_name(s.upload.filename), "task": c.problem,
                "test_fraction": test_fraction, "seed": c.seed}
        split = {"train": "train", "eval": ["test"]}
    else:
        args = loader_args(c)
        split = {"val_fraction": test_fraction, "eval": ["val"]}
    args["features"] = list(c.features)
    return choice.registry, args, split


def notes(s) -> list[str]:
    c, out = s.config, [f"exported by mlplab playground after {s.epoch} epochs; the page's "
                        "test points are this file's evaluation split"]
    if s.epoch == 0:
        out.append("the page had not finished an epoch: this file trains 1")
    if s.batch:
        out.append(f"the page was {s.batch} of {s.n_batches} batches into epoch "
                   f"{s.epoch + 1}; this file trains {max(s.epoch, 1)} whole epochs")
    for epoch, lr in s.lr_changes:
        out.append(f"the page changed the learning rate to {lr:g} after epoch {epoch}; this "
                   f"file uses {c.lr:g} from the start")
    if c.dataset == "upload":
        out.append(f"put {csv_name(s.upload.filename)} in the folder you run mlplab from")
    return out


def experiment_toml(s) -> str:
    """An experiment file ``mlplab run FILE`` accepts, for session ``s``."""
    c = s.config
    name, args, split = data_entry(s)
    opt, kwargs = s.optimizer()
    description = f"mlplab playground: {c.dataset}, {s.spec}, {c.optimizer} lr {c.lr:g}"
    lines = [
        'name = "playground"',
        f"description = {_value(description)}",
        f"seed = {c.seed}",
        f"notes = {_value(notes(s))}",
        "",
        "[[data]]",
        f"name = {_value(name)}",
        f"args = {_value(args)}",
        'preprocess = "none"',
        *(f"{k} = {_value(v)}" for k, v in split.items()),
        "",
        "[[models]]",
        'name = "playground"',
        f"spec = {_value(s.spec)}",
        f"loss = {_value(s.loss_name)}",
        f"optimizer = {_value(opt)}",
        f"lr = {c.lr!r}",
        f"epochs = {max(s.epoch, 1)}",
        f"batch_size = {c.batch_size}",
    ]
    if kwargs:
        lines.append(f"optimizer_kwargs = {_value(kwargs)}")
    if s.l1:
        lines.append(f"l1 = {s.l1!r}")
    return "\n".join(lines) + "\n"


def python_script(s) -> str:
    """A short script that trains the same network with mlplab's Python API."""
    c = s.config
    name, args, split = data_entry(s)
    opt, kwargs = s.optimizer()
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    if c.dataset == "upload":
        parts = ('train, test = ds.split("train"), ds.split("test")\n')
    else:
        parts = (f"parts = train_val_test_split(len(ds.y), val={split['val_fraction']!r}, "
                 f"test=0.0, seed={c.seed})\n"
                 'train = ds.X[parts["train"]], ds.y[parts["train"]]\n'
                 'test = ds.X[parts["val"]], ds.y[parts["val"]]\n')
    header = "\n".join(f"# {n}" for n in notes(s))
    l1 = f", l1={s.l1!r}" if s.l1 else ""
    imports = ("" if c.dataset == "upload"
               else "from mlplab.data.preprocessing import train_val_test_split\n")
    return f'''"""The mlplab playground's network, trained with mlplab's Python API."""
{header}
from mlplab import data
{imports}from mlplab.train import Trainer, build_engine

ds = data.load({name!r}, {call})
{parts}engine = build_engine("numpy", spec={s.spec!r}, loss={s.loss_name!r}, optimizer={opt!r},
                      lr={c.lr!r}, seed={c.seed}, optimizer_kwargs={kwargs!r}{l1})
trainer = Trainer(engine, epochs={max(s.epoch, 1)}, batch_size={c.batch_size}, seed={c.seed},
                  progress=False)
history = trainer.fit(train, {{"test": test}})
print(f"epoch {{history.epochs}}: train loss {{history.last('train_loss'):.4f}}, "
      f"test loss {{history.last('test_loss'):.4f}}")
'''
