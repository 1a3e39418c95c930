"""``mlplab playground``: parse the options, warn about a public address, serve the page."""

from __future__ import annotations

import typer

from mlplab.errors import UsageError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def playground(
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; the default serves "
                                                         "this machine only."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
):
    """TensorFlow Playground on mlplab's engine: train small networks on 2-D data, live."""
    try:
        import uvicorn

        from mlplab.playground.server import create_app
    except ImportError as e:
        raise UsageError(f"mlplab playground needs FastAPI and uvicorn ({e.name} is missing): "
                         "pip install 'mlplab[playground]'") from None
    _check_port(host, port)
    if host not in LOCAL_HOSTS:
        typer.secho(f"warning: serving on {host}: anyone who can reach this machine on port "
                    f"{port} can use the playground and its CPU; use --host 127.0.0.1 to keep "
                    "it private", err=True, fg="yellow")
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    typer.echo(f"mlplab playground on {url} (Ctrl-C to stop)")
    if not no_browser:
        import threading
        import webbrowser

        threading.Timer(0.5, webbrowser.open, [url]).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="warning", ws_max_size=4096)


def _check_port(host: str, port: int) -> None:
    import os
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise UsageError(f"--host {host} --port {port}: cannot listen there ({reason}); "
                         "choose another --port") from None
