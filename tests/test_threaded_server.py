"""The loopback server helper the simulator and the portal start with: it answers once the call returns,
and a server that cannot start is reported and leaves its socket closed."""

import httpx
import pytest
import uvicorn

from oms_tui.threaded_server import listening_socket, start_in_thread


async def hello(scope, receive, send):  # noqa: ANN001, ANN201
    if scope["type"] == "lifespan":
        message = await receive()
        if message["type"] == "lifespan.startup":
            raise RuntimeError("refuses to start")
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def test_serves_as_soon_as_it_returns_and_stops():
    sock = listening_socket("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    server, thread = start_in_thread(uvicorn.Config(hello, lifespan="off", log_level="warning"), sock, name="t")
    try:
        assert httpx.get(f"http://{host}:{port}/").text == "hello"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
    assert not thread.is_alive()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn exits the thread
def test_a_server_that_cannot_start_is_reported_and_its_socket_closed():
    sock = listening_socket("127.0.0.1", 0)
    with pytest.raises(RuntimeError, match="did not start"):
        start_in_thread(uvicorn.Config(hello, lifespan="on", log_level="critical"), sock, name="t",
                        startup_timeout=5)
    assert sock.fileno() == -1
