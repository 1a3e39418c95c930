"""The notebook's stop button during ``mlplab.run``: the kernel's interrupt (SIGINT) stops
training after the current batch, the run folder keeps what ran, and ``mlplab.run`` returns
its Run (``interrupted``) with one line on stderr instead of a traceback."""

from __future__ import annotations

from jupyter_client.manager import start_new_kernel


def test_interrupting_the_kernel_returns_the_run_of_what_ran(tmp_path):
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        # far more epochs than can run: only the interrupt ends the cell
        code = (f"import mlplab\nr = mlplab.run('auto-mpg', epochs=10**7, out={str(tmp_path)!r})\n"
                "print(r.interrupted, r.models, r.table.loc['linear', 'status'])")
        msg_id = kc.execute(code)
        streams, errors, interrupted = [], [], False
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("display_data", "update_display_data") and not interrupted:
                km.interrupt_kernel()      # the progress display is up: training runs
                interrupted = True
            elif kind == "stream":
                streams.append((content["name"], content["text"]))
            elif kind == "error":
                errors.append(content["ename"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert interrupted and errors == []
    (folder,) = list(tmp_path.iterdir())
    # per stream: the kernel sends stdout and stderr as separate messages, whose order
    # between the two streams is not guaranteed
    text = {name: "".join(t for n, t in streams if n == name) for name, _ in streams}
    assert text == {"stderr": f"interrupted: the report of what ran is in {folder}\n",
                    "stdout": "True ['linear'] interrupted\n"}
    assert (folder / "metrics.json").is_file() and (folder / "report.html").is_file()
