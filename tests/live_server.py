"""A real uvicorn server for one knowledge base, on a free port of 127.0.0.1, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings


def serve(kb: KnowledgeBase, *, pull_feeds: bool = False) -> tuple[str, Callable[[], None]]:
    """Start the server (pulling feeds in the background with ``pull_feeds``); return its
    base URL and the function that stops it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(secure_cookies=False), kb=kb, pull_feeds=pull_feeds)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop
