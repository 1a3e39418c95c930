"""Signals and leftovers (issue 13, class 6): SIGTERM behaves like Ctrl-C (the report of
what ran, exit 143); a run killed with SIGKILL leaves its hidden partial folder, which
``mlplab runs list`` shows, ``mlplab runs clean`` removes and ``mlplab run NAME --resume``
finishes with the numbers of a run that was never killed. Real child processes, real
signals; the waits poll for files, nothing asserts on time."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from hostile_util import error_lines, invoke, mlplab_process, spiral_experiment

from mlplab.util import TerminateAsInterrupt


def wait_for(pattern_root, pattern, proc, timeout=120):
    """Poll until ``pattern_root.glob(pattern)`` finds a file; fail if ``proc`` ends first."""
    deadline = time.monotonic() + timeout
    while not list(pattern_root.glob(pattern)):
        assert proc.poll() is None, f"the run ended before {pattern} appeared: " \
                                    f"{proc.communicate()}"
        assert time.monotonic() < deadline, f"no {pattern} after {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize("signum, code, said, by", [
    (signal.SIGTERM, 143, "terminated by SIGTERM", "SIGTERM"),
    (signal.SIGINT, 130, "interrupted", "Ctrl-C")])
def test_a_signal_during_training_writes_the_report_of_what_ran(tmp_path, signum, code, said,
                                                                  by):
    """SIGTERM does what Ctrl-C does, and says which it was: exit 143 against 130."""
    proc = mlplab_process("run", "nonlinear", "--out", tmp_path, "--quiet", "--epochs", 100000)
    wait_for(tmp_path, ".*.partial/checkpoints/softmax.npz", proc)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    (folder,) = tmp_path.iterdir()
    assert error_lines(err) == [f"error: {said}; the report of what ran is in {folder}"]
    m = json.loads((folder / "metrics.json").read_text())["models"]
    assert m["softmax"]["status"] == "interrupted" and "mlp" not in m
    assert m["softmax"]["message"].startswith(f"interrupted by {by} ")
    assert (folder / "report.md").is_file() and (folder / "checkpoints" / "softmax.npz").is_file()


def test_sigterm_outside_training_is_a_keyboard_interrupt_and_is_recorded():
    with TerminateAsInterrupt() as term, pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)   # the handler raises at the next bytecode; this never finishes
    assert term.received
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL   # restored


def _killed_run(tmp_path, toml, out):
    """Start ``toml``, SIGKILL it once the second model has its first checkpoint."""
    proc = mlplab_process("run", toml, "--out", out, "--quiet")
    wait_for(out, ".*.partial/checkpoints/second.npz", proc)
    return proc


def test_a_killed_run_is_listed_cleaned_and_never_cleaned_while_alive(tmp_path):
    toml = spiral_experiment(tmp_path, name="killme", first=3, second=100000)
    out = tmp_path / "runs"
    proc = _killed_run(tmp_path, toml, out)
    try:
        code, output = invoke("runs", "list", "--out", out)
        assert code == 0 and f"running (pid {proc.pid})" in output
        code, output = invoke("runs", "clean", "--out", out, "--yes")
        assert code == 0 and "nothing to remove" in output and "kept" in output
        (partial,) = out.iterdir()
    finally:
        proc.kill()
        proc.wait()
    code, output = invoke("runs", "list", "--out", out)
    assert code == 0, output
    (line, _hint) = output.splitlines()
    assert line.startswith(f"{partial}  killme  started ") and " killed " in line
    assert line.endswith("(first, second)")
    code, output = invoke("runs", "clean", "--out", out)      # without --yes: says, keeps
    assert code == 0 and "would remove" in output and partial.is_dir()
    code, output = invoke("runs", "clean", "--out", out, "--yes")
    assert code == 0 and output.startswith(f"removed {partial}")
    assert list(out.iterdir()) == []
    code, output = invoke("runs", "list", "--out", out)
    assert output.strip() == f"no unfinished runs in {out}"


def test_resume_finishes_a_killed_run_with_the_numbers_of_an_unkilled_one(tmp_path):
    toml = spiral_experiment(tmp_path, name="killme", first=3, second=400)
    out = tmp_path / "runs"
    proc = _killed_run(tmp_path, toml, out)
    proc.kill()
    proc.wait()
    (partial,) = out.iterdir()
    assert partial.name.startswith(".killme-") and partial.name.endswith(".partial")
    first_weights = (partial / "weights" / "first.npz").read_bytes()

    code, output = invoke("run", toml, "--out", out, "-q", "--resume", "--seed", 1)
    assert code == 2
    assert error_lines(output) == [f"error: --resume: {partial} was started with other "
                                   "settings (seed differ); pass the options it was started "
                                   "with, or run without --resume"]
    code, output = invoke("run", toml, "--out", out, "-q", "--resume")
    assert code == 0, output
    (done,) = out.iterdir()
    assert done.name == partial.name[1:-len(".partial")]
    assert (done / "weights" / "first.npz").read_bytes() == first_weights   # not retrained
    assert not (done / ".owner.json").exists()

    code, output = invoke("run", toml, "--out", tmp_path / "fresh", "-q")
    (fresh,) = (tmp_path / "fresh").iterdir()

    def numbers(run):
        models = json.loads((run / "metrics.json").read_text())["models"]
        return {k: {f: v for f, v in i.items() if f != "seconds"} for k, i in models.items()}

    assert numbers(done) == numbers(fresh)
    assert numbers(done)["second"]["epochs"] == 400


def test_resume_without_an_unfinished_run_is_one_line(tmp_path):
    code, output = invoke("run", "xor", "--out", tmp_path, "-q", "--resume")
    assert code == 2
    assert error_lines(output) == [f"error: --resume: no unfinished run of 'xor' in {tmp_path} "
                                   "(a killed run leaves .xor-<stamp>.partial); run without "
                                   "--resume"]
    assert list(tmp_path.iterdir()) == []
