"""Run folders that did not finish: list them, clean them, find the one to resume.

A run is written into a hidden ``.<name>-<stamp>.partial`` folder (see
:mod:`mlplab.experiments.runner`). A run killed outright (SIGKILL, a crash of the machine)
leaves it behind; a run that failed after a model was saved leaves a visible
``<name>-<stamp>.incomplete`` folder. Both hold ``config.json`` and the weights, checkpoints
and history written so far. A partial folder that a live process is still writing carries
that process's pid and host (``.owner.json``): it is listed as running, and neither cleaned
nor resumed.

``mlplab runs list [--out DIR]`` shows them; ``mlplab runs clean [--out DIR] [--yes]``
removes the partial folders of dead runs (``--incomplete``: the incomplete ones too);
``mlplab run NAME --resume`` continues the newest one of NAME with the same settings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import typer

from mlplab.errors import UsageError
from mlplab.limits import format_bytes

_PARTIAL = re.compile(r"^\.(?P<name>.+)-(?P<stamp>\d{8}-\d{6})(?:-\d+)?\.partial$")
_INCOMPLETE = re.compile(r"^(?P<name>[^.].*)-(?P<stamp>\d{8}-\d{6})(?:-\d+)?\.incomplete$")
OWNER_FILE = ".owner.json"
# settings that must match for a folder to be resumed (source, description, notes may differ)
_SETTINGS = ("seed", "engine", "device", "data", "models", "demos")


@dataclass
class Leftover:
    """One unfinished run folder. ``kind`` is "partial" (hidden; killed) or "incomplete"
    (visible; failed after saving a model). ``running``: a live process on this host writes
    it (``owner`` is its pid), or one on another host may (``host``)."""

    path: Path
    kind: str
    experiment: str
    started: datetime | None
    saved: list[str] = field(default_factory=list)   # models with weights or a checkpoint
    running: bool = False
    owner: int | None = None
    host: str | None = None
    bytes: int = 0

    @property
    def state(self) -> str:
        if self.running:
            return (f"running (pid {self.owner})" if self.host in (None, socket.gethostname())
                    else f"maybe running (pid {self.owner} on {self.host})")
        return "killed" if self.kind == "partial" else "failed"


def leftovers(out) -> list[Leftover]:
    """The partial and incomplete run folders directly in ``out``, oldest first."""
    out = Path(out)
    if not out.is_dir():
        return []
    found = []
    for p in out.iterdir():
        m = _PARTIAL.match(p.name) or _INCOMPLETE.match(p.name)
        if m is None or not p.is_dir():
            continue
        kind = "partial" if p.name.endswith(".partial") else "incomplete"
        try:
            started = datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S")
        except ValueError:
            started = None
        item = Leftover(p, kind, m["name"], started, saved_models(p), bytes=_size(p))
        item.owner, item.host, item.running = _owner(p)
        found.append(item)
    return sorted(found, key=lambda x: (x.started or datetime.min, x.path.name))


def saved_models(folder: Path) -> list[str]:
    """Stems of the models of a run folder with saved weights or a checkpoint."""
    return sorted({f.stem for sub in ("weights", "checkpoints")
                   for f in (folder / sub).glob("*.npz")})


def _size(folder: Path) -> int:
    total = 0
    for f in folder.rglob("*"):
        try:
            total += f.stat().st_size if f.is_file() else 0
        except OSError:
            pass
    return total


def _owner(folder: Path) -> tuple[int | None, str | None, bool]:
    """(pid, host, whether that process may still be writing the folder)."""
    try:
        rec = json.loads((folder / OWNER_FILE).read_text())
        pid, host = int(rec["pid"]), str(rec["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None, False   # no record: written before owners were recorded, or done
    if host != socket.gethostname():
        return pid, host, True     # cannot tell: leave it alone
    return pid, host, _alive(pid)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True               # another user's process
    except OSError:
        return False
    return True


def _settings(config: dict) -> dict:
    return {k: config.get(k) for k in _SETTINGS}


def _differences(a: dict, b: dict) -> list[str]:
    """Which settings differ, e.g. ["seed", "models.mlp.epochs"]."""
    out = []
    for k in _SETTINGS:
        x, y = a.get(k), b.get(k)
        if x == y:
            continue
        if k == "models" and isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for mx, my in zip(x, y):
                if mx == my:
                    continue
                keys = sorted(set(mx) | set(my)) if isinstance(mx, dict) and \
                    isinstance(my, dict) else []
                name = mx.get("name", "?") if isinstance(mx, dict) else "?"
                out += [f"models.{name}.{kk}" for kk in keys if mx.get(kk) != my.get(kk)] \
                    or [f"models.{name}"]
        else:
            out.append(k)
    return out


def find_resumable(out, exp) -> Path:
    """The newest partial or incomplete folder of ``exp`` in ``out`` that no live process
    writes and whose config.json has ``exp``'s settings; a UsageError saying why not."""
    out = Path(out)
    want = _settings(json.loads(json.dumps(exp.to_dict(), default=repr)))
    mine = [x for x in leftovers(out) if x.experiment == exp.name]
    if not mine:
        raise UsageError(f"--resume: no unfinished run of {exp.name!r} in {out} (a killed "
                         f"run leaves .{exp.name}-<stamp>.partial); run without --resume")
    idle = [x for x in mine if not x.running]
    if not idle:
        raise UsageError(f"--resume: the unfinished run {mine[-1].path} is still being "
                         f"written ({mine[-1].state}); wait for it or stop it first")
    differ = []
    for x in reversed(idle):    # newest first
        try:
            config = json.loads((x.path / "config.json").read_text())
        except (OSError, ValueError):
            continue
        diff = _differences(_settings(config), want)
        if not diff:
            return x.path
        differ.append((x, diff))
    if differ:
        x, diff = differ[0]
        raise UsageError(f"--resume: {x.path} was started with other settings "
                         f"({', '.join(diff)} differ); pass the options it was started with, "
                         "or run without --resume")
    raise UsageError(f"--resume: {idle[-1].path} has no readable config.json, so it cannot be "
                     f"resumed; remove it (mlplab runs clean --out {out}) and run again")


def clean(out, *, incomplete: bool = False, dry_run: bool = False,
          found: list[Leftover] | None = None) -> list[Leftover]:
    """Remove the partial folders of dead runs in ``out`` (and, with ``incomplete``, the
    incomplete folders); folders a live process writes stay. Returns what was (with
    ``dry_run``: would be) removed. ``found``: ``leftovers(out)`` when the caller has it."""
    found = leftovers(out) if found is None else found
    gone = [x for x in found if not x.running
            and (x.kind == "partial" or incomplete)]
    if not dry_run:
        for x in gone:
            shutil.rmtree(x.path)
    return gone


# --------------------------------------------------------------------------- the command
app = typer.Typer(help="Unfinished run folders (killed: .partial, failed: .incomplete): "
                       "list and clean them.",
                  no_args_is_help=True, add_completion=False)

_OUT_HELP = "The folder the runs were written to."


def _line(x: Leftover) -> str:
    when = x.started.strftime("%Y-%m-%d %H:%M:%S") if x.started else "?"
    saved = ", ".join(x.saved) if x.saved else "no model saved"
    size = format_bytes(x.bytes)
    return f"{x.path}  {x.experiment}  started {when}  {x.state}  {size}  ({saved})"


def _check_out(out: Path) -> None:
    """``--out`` of ``mlplab runs``: a folder of runs, or nothing yet (no leftovers)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder of runs")


@app.command("list")
def list_runs(out: Path = typer.Option(Path("runs"), "--out", help=_OUT_HELP)):
    """Unfinished run folders: killed runs (hidden .partial) and runs that failed after
    saving a model (.incomplete), with what each holds."""
    _check_out(out)
    found = leftovers(out)
    if not found:
        typer.echo(f"no unfinished runs in {out}")
        return
    for x in found:
        typer.echo(_line(x))
    typer.echo("resume one with `mlplab run NAME --resume --out DIR` (same options); "
               "remove killed ones with `mlplab runs clean`")


@app.command("clean")
def clean_runs(
    out: Path = typer.Option(Path("runs"), "--out", help=_OUT_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove them (without it, only "
                                                        "say what would go)."),
    incomplete: bool = typer.Option(False, "--incomplete", help="Also remove .incomplete "
                                                                "folders (they hold trained "
                                                                "weights)."),
):
    """Remove the hidden .partial folders of runs that were killed (never one that a live
    process is writing)."""
    _check_out(out)
    found = leftovers(out)
    gone = clean(out, incomplete=incomplete, dry_run=not yes, found=found)
    for x in gone:
        typer.echo(f"{'removed' if yes else 'would remove'} {_line(x)}")
    for x in found:
        if x.path not in {g.path for g in gone}:
            why = x.state if x.running else "it holds trained weights: add --incomplete"
            typer.echo(f"kept {x.path} ({why})")
    if not gone:
        typer.echo(f"nothing to remove in {out}")
    elif not yes:
        typer.echo("nothing removed: add --yes to remove these")
