"""Where output goes, and nothing trained is lost (issue 13, class 1; umask of class 6).

Each case asserts the exit code, the one ``error:`` line naming the culprit, and the files
left on disk: nothing outside ``--out``, no input overwritten, and after a failure that came
once a model was saved, that model's weights, checkpoint and history in a visible
``<name>-<stamp>.incomplete`` folder.
"""

from __future__ import annotations

import errno
import json
import os
import stat

import numpy as np
import pytest
from hostile_util import error_lines, files_under, invoke, spiral_experiment

from mlplab import nn
from mlplab.errors import ExperimentError
from mlplab.experiments import load_experiment, run_experiment
from mlplab.experiments.runner import run_in_folder
from mlplab.util import atomic_write_bytes, atomic_write_text, check_file_name

XOR = load_experiment("xor")


def one_error(output: str, *parts: str) -> str:
    (line,) = error_lines(output)
    for part in parts:
        assert part in line, (part, line)
    return line


# ---- --out of mlplab run ------------------------------------------------------------------

def _existing_file(tmp_path):
    (tmp_path / "taken").write_text("mine\n")
    return tmp_path / "taken", "is a file, not a folder"


def _inside_a_file(tmp_path):
    (tmp_path / "taken").write_text("mine\n")
    return tmp_path / "taken" / "runs", "is a file, so no folder can be made below it"


@pytest.mark.parametrize("case", [_existing_file, _inside_a_file])
def test_out_that_cannot_be_a_folder_is_one_line_and_writes_nothing(tmp_path, case):
    out, why = case(tmp_path)
    before = files_under(tmp_path)
    code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", out)
    assert code == 2
    one_error(output, f"--out {out}", why)
    assert files_under(tmp_path) == before
    assert (tmp_path / "taken").read_text() == "mine\n"


@pytest.mark.parametrize("command", [("run", "xor", "--seeds", "0-1"),
                                     ("sweep", "xor", "--set", "models.mlp.lr=0.1,0.2")])
@pytest.mark.parametrize("case", [_existing_file, _inside_a_file])
def test_seeds_and_sweeps_check_out_the_same_way(tmp_path, case, command):
    out, why = case(tmp_path)
    before = files_under(tmp_path)
    code, output = invoke(*command, "--epochs", 1, "-q", "--out", out)
    assert code == 2
    one_error(output, f"--out {out}", why)
    assert files_under(tmp_path) == before
    assert "trials" not in output   # refused before the plan is announced


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 0555 folder anyway; "
                    "test_out_on_a_read_only_file_system covers an unwritable --out as root")
def test_out_in_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", locked / "runs")
        assert code == 2
        one_error(output, f"--out {locked / 'runs'}", "is not writable by this user")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_out_on_a_read_only_file_system(tmp_path, tmpfs):
    ro = tmpfs(64, read_only=True)
    code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", ro / "runs")
    assert code == 2
    one_error(output, f"--out {ro / 'runs'}", "is on a read-only file system")
    assert list(ro.iterdir()) == []


def test_read_only_out_by_fault_injection(tmp_path, monkeypatch):
    """The same refusal where no tmpfs can be mounted: the folder reports itself unwritable
    and its file system read-only (os.access and os.statvfs, as util asks them)."""
    import types
    from pathlib import Path

    from mlplab import util

    ro = tmp_path / "ro"
    ro.mkdir()
    real_access, real_statvfs = os.access, os.statvfs
    monkeypatch.setattr(util.os, "access", lambda p, mode, **kw: False if Path(p) == ro
                        else real_access(p, mode, **kw))
    monkeypatch.setattr(util.os, "statvfs", lambda p: types.SimpleNamespace(
        f_flag=os.ST_RDONLY) if Path(p) == ro else real_statvfs(p))
    code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", ro / "runs")
    assert code == 2
    one_error(output, f"--out {ro / 'runs'}", f"{ro} is on a read-only file system")
    assert list(ro.iterdir()) == []


def test_out_on_a_full_disk_before_anything_trained(tmp_path, tmpfs):
    full = tmpfs(16)
    fd = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
    try:                                      # fill the file system to the last block
        with pytest.raises(OSError) as e:
            while True:
                os.write(fd, b"\0" * 4096)
        assert e.value.errno == errno.ENOSPC
    finally:
        os.close(fd)
    code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", full)
    assert code == 2
    one_error(output, f"the run in {full} failed: No space left on device",
              "nothing was kept; free space or pass another --out")
    assert sorted(p.name for p in full.iterdir()) == ["filler"]


def test_disk_full_before_anything_trained_by_fault_injection(tmp_path, monkeypatch):
    """The same as above on any machine: config.json's write fails with ENOSPC."""
    from mlplab.experiments import runner

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(runner, "atomic_write_text", full)
    code, output = invoke("run", "xor", "--epochs", 1, "-q", "--out", tmp_path / "runs")
    assert code == 2
    one_error(output, "No space left on device", "nothing had been trained, so nothing was kept")
    assert list((tmp_path / "runs").iterdir()) == []


# ---- the experiment's name ----------------------------------------------------------------

# (an empty name is refused by the experiment file's validator, before the runner)
BAD_NAMES = ["../escaped", "a/b", "/tmp/abs", "..", ".", "sub\\\\dir", "tab\\there"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_with_path_parts_is_refused_before_anything_is_written(tmp_path, name):
    toml = tmp_path / "exp.toml"
    toml.write_text(spiral_experiment(tmp_path).read_text().replace('name = "spiral"',
                                                                    f'name = "{name}"', 1))
    before = files_under(tmp_path)
    code, output = invoke("run", toml, "-q", "--out", tmp_path / "runs")
    assert code == 2
    one_error(output, f"{toml}: experiment name", "cannot name a run folder")
    assert files_under(tmp_path) == before   # not even --out was made


def test_train_name_with_path_parts_is_sanitised_into_out(tmp_path):
    """mlplab train's --name keeps letters, digits, '.', '_' and '-' (mlplab.byod.build)."""
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    code, output = invoke("train", csv, "--target", "y", "--epochs", 1, "-q", "--name",
                          "../../up", "--out", tmp_path / "runs")
    assert code == 0, output
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("up-") and (run / "report.md").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"d.csv", "runs"}
    assert not (tmp_path.parent / "up").exists() and not list(tmp_path.parent.glob("up-*"))


def test_a_plain_name_with_spaces_and_accents_lands_inside_out(tmp_path):
    toml = spiral_experiment(tmp_path, name="déjà vu .v2", first=1, second=1)
    code, output = invoke("run", toml, "-q", "--out", tmp_path / "runs")
    assert code == 0, output
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("déjà vu .v2-") and (run / "report.md").is_file()


def test_check_file_name_refuses_control_characters_and_long_names():
    for bad in ("a\x00b", "a\nb", "x" * 201, "", "  "):
        with pytest.raises(ValueError, match="cannot name a run folder"):
            check_file_name(bad, "experiment name")
    assert check_file_name("x" * 200, "experiment name") == "x" * 200


# ---- lose nothing -------------------------------------------------------------------------

def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "report.html")


def _check_kept(out, names=("first", "second")):
    """The one .incomplete folder in ``out``: weights that load, checkpoints, histories."""
    (kept,) = out.iterdir()
    assert kept.name.endswith(".incomplete") and not kept.name.startswith(".")
    for m in names:
        state, meta = nn.load(kept / "weights" / f"{m}.npz")
        assert all(np.isfinite(v).all() for v in state.values()) and meta["spec"]
        assert (kept / "checkpoints" / f"{m}.npz").is_file()
        assert json.loads((kept / "history" / f"{m}.json").read_text())["records"]
    assert (kept / "config.json").is_file() and not (kept / ".owner.json").exists()
    return kept


def test_report_failing_after_training_keeps_the_models_and_says_where(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr("mlplab.report.build.write_report", _enospc)
    toml = spiral_experiment(tmp_path)
    code, output = invoke("run", toml, "-q", "--out", tmp_path / "runs")
    assert code == 2
    kept = _check_kept(tmp_path / "runs")
    one_error(output, "No space left on device (report.html)", "2 model(s) saved so far",
              f"kept in {kept}", f"mlplab run {toml} --resume")
    # the space is back: --resume finishes the run with the numbers of an uninterrupted one
    monkeypatch.undo()
    code, output = invoke("run", toml, "-q", "--out", tmp_path / "runs", "--resume")
    assert code == 0, output
    (done,) = (tmp_path / "runs").iterdir()
    assert done.name == kept.name[:-len(".incomplete")] and (done / "report.html").is_file()
    code, _ = invoke("run", toml, "-q", "--out", tmp_path / "fresh")
    (fresh,) = (tmp_path / "fresh").iterdir()
    assert _numbers(done) == _numbers(fresh)


def _numbers(run):
    models = json.loads((run / "metrics.json").read_text())["models"]
    return {k: {f: v for f, v in info.items() if f != "seconds"} for k, info in models.items()}


def test_report_failing_on_a_real_full_tmpfs_keeps_the_models(tmp_path, tmpfs):
    """Big enough for the weights, checkpoints and histories of two 3-epoch models, too small
    for the report's figures."""
    disk = tmpfs(160)
    code, output = invoke("run", spiral_experiment(tmp_path), "-q", "--out", disk)
    assert code == 2, output
    kept = _check_kept(disk)
    one_error(output, "No space left on device", f"kept in {kept}")
    assert not list(disk.glob(".*"))


def test_a_model_failing_after_another_was_saved_keeps_that_one(tmp_path):
    toml = spiral_experiment(tmp_path)
    toml.write_text(toml.read_text().replace('spec = "2-16-relu-3"', 'spec = "5-16-relu-3"'))
    code, output = invoke("run", toml, "-q", "--out", tmp_path / "runs")
    assert code == 2
    kept = _check_kept(tmp_path / "runs", names=("first",))
    line = one_error(output, "expected input of shape (N, 5)",
                     "1 model(s) saved so far (first", f"kept in {kept}")
    assert "--resume" not in line   # the file must change first: resuming would not help


def test_lifecycle_keeps_saved_models_for_every_kind_of_failure(tmp_path):
    def body_failing_with(error):
        def body(run_dir, progress, console):
            (run_dir / "weights").mkdir()
            (run_dir / "weights" / "m.npz").write_bytes(b"weights")
            raise error

        return body

    with pytest.raises(ExperimentError, match=r"No space left on device \(x\); the 1 model"):
        run_in_folder(XOR, tmp_path / "a", body_failing_with(
            OSError(errno.ENOSPC, "No space left on device", "x")))
    with pytest.raises(ZeroDivisionError) as bug:     # a bug keeps its traceback, with a note
        run_in_folder(XOR, tmp_path / "b", body_failing_with(ZeroDivisionError("bug")))
    assert "are kept in" in bug.value.__notes__[0]
    with pytest.raises(KeyboardInterrupt):
        run_in_folder(XOR, tmp_path / "c", body_failing_with(KeyboardInterrupt()))
    for sub in "abc":
        (kept,) = (tmp_path / sub).iterdir()
        assert kept.name.endswith(".incomplete")
        assert (kept / "weights" / "m.npz").read_bytes() == b"weights"


def test_python_api_gets_the_same_errors(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        run_experiment(XOR, tmp_path / "f", progress=False)


# ---- predict --out ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A `mlplab train` run on a small CSV, and that CSV."""
    root = tmp_path_factory.mktemp("predict")
    csv = root / "rows.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    csv.write_text("a,b,y\n" + "".join(f"{a:.4f},{b:.4f},{'yes' if a + b > 0 else 'no'}\n"
                                       for a, b in x))
    code, output = invoke("train", csv, "--target", "y", "--epochs", 2, "-q", "--out",
                          root / "runs")
    assert code == 0, output
    (run,) = (root / "runs").iterdir()
    return run, csv


def _link(tmp_path, csv, kind):
    target = tmp_path / f"{kind}.csv"
    (os.symlink if kind == "symlink" else os.link)(csv, target)
    return target


@pytest.mark.parametrize("where,why", [
    ("input", "is the input file"),
    ("symlink", "is the input file"),
    ("hardlink", "is the input file"),
    ("run-config", "is inside"),
    ("run-new", "is inside"),
    ("folder", "is a folder"),
    ("under-a-file", "is a file, so no folder can be made below it"),
])
def test_predict_never_overwrites_what_it_reads(tmp_path, trained, where, why):
    run, csv = trained
    out = {"input": csv, "run-config": run / "config.json", "run-new": run / "p.csv",
           "folder": tmp_path, "under-a-file": csv / "p.csv"}.get(where) \
        or _link(tmp_path, csv, where)
    before = {p: p.read_bytes() for p in [csv, *run.rglob("*")] if p.is_file()}
    code, output = invoke("predict", run, csv, "--out", out)
    assert code == 2
    one_error(output, f"--out {out}", why)
    assert {p: p.read_bytes() for p in [csv, *run.rglob("*")] if p.is_file()} == before


def test_predict_to_a_new_file_still_works(tmp_path, trained):
    run, csv = trained
    code, output = invoke("predict", run, csv, "--out", tmp_path / "sub" / "p.csv")
    assert code == 0, output
    assert (tmp_path / "sub" / "p.csv").read_text().startswith("a,b,y,predicted_y")


# ---- the umask ----------------------------------------------------------------------------

@pytest.fixture
def umask():
    def set_umask(mask):
        return os.umask(mask)

    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


def test_atomic_writes_follow_the_umask(tmp_path, umask):
    for mask, mode in ((0o022, 0o644), (0o027, 0o640), (0o002, 0o664)):
        umask(mask)
        p = atomic_write_text(tmp_path / f"t{mask:o}.txt", "x")
        assert stat.S_IMODE(p.stat().st_mode) == mode
        p = atomic_write_bytes(tmp_path / f"b{mask:o}.bin", b"x")
        assert stat.S_IMODE(p.stat().st_mode) == mode


def test_every_file_of_a_run_follows_the_umask(tmp_path, umask):
    umask(0o022)
    code, output = invoke("run", spiral_experiment(tmp_path, first=1, second=1), "-q",
                          "--out", tmp_path / "runs")
    assert code == 0, output
    (run,) = (tmp_path / "runs").iterdir()
    modes = {str(p.relative_to(run)): stat.S_IMODE(p.stat().st_mode) for p in run.rglob("*")}
    assert {"weights/second.npz", "checkpoints/second.npz", "history/second.json",
            "metrics.json", "config.json", "report.html"} <= set(modes)
    assert {k: v for k, v in modes.items() if v != (0o755 if (run / k).is_dir() else 0o644)} \
        == {}
