"""The playground's web server: the page, a JSON API, and live training over a WebSocket.

Routes:
    GET  /                 the page (static/index.html); its state lives in the query string
    GET  /static/...       the page's script, styles and vendored libraries (no CDN)
    GET  /api/catalog      names, families and kinds of every activation
    GET  /api/functions    ?activations=gelu,mish&xmin=-5&xmax=5&points=401
    GET  /api/vectors      ?functions=softmax,sparsemax&vectors=1,2,3;0.1,0.2,0.3
    GET  /api/theory       ?activation=tanh&init=lecun_normal&sigma_w2=&sigma_b2=0&depth=32
    GET  /api/phase        ?activation=tanh&sigma_w2=1&sigma_b2=0
    GET  /api/health       jobs and computations in flight
    WS   /api/train        send one JSON training request; receive setup, snapshots, done

Bad requests get 400 with {"error": "..."}; too much at once 429; a computation past its
time limit 422. Only requests for this machine's own names (Host) and WebSockets opened
from the page itself (Origin) are served, so another web site cannot drive the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from actlab.errors import ActlabError
from actlab.playground import query
from actlab.playground.limits import DEFAULT_LIMITS, Limits
from actlab.playground.worker_processes import (
    ComputationFailed,
    ComputationTimeout,
    ComputePool,
    Overloaded,
    TrainingJobs,
    UnprocessableRequest,
    worker_context,
)

STATIC = Path(__file__).parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
#: The page's own resources only; Plotly sets inline styles, KaTeX writes MathML.
CONTENT_SECURITY_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DEFAULT_ACTIVATIONS = ("gelu", "relu", "tanh")
THEORY_INIT_CHOICES = ("lecun_normal", "he", "glorot", "orthogonal", "critical",
                       "variance_preserving", "custom")


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def _error(message: str, status: int) -> JSONResponse:
    return _json({"error": message}, status)


class Playground:
    """The app's state: limits, the worker pool and the training jobs."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, hosts: tuple[str, ...] = ()) -> None:
        self.limits = limits
        self.hosts = tuple(dict.fromkeys((*LOCAL_HOSTS, *hosts)))
        self.pool: ComputePool | None = None
        self.jobs: TrainingJobs | None = None
        self.catalog: dict[str, Any] | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        context = worker_context()
        self.pool = ComputePool(self.limits, context)
        self.jobs = TrainingJobs(self.limits, context)
        try:
            yield
        finally:
            await asyncio.to_thread(self.pool.close)

    # -- HTTP ---------------------------------------------------------------------------
    def _params(self, request: Request, allowed: tuple[str, ...]) -> Mapping[str, str]:
        if len(request.url.query) > self.limits.max_query_chars:
            raise query.QueryError(f"the query is {len(request.url.query)} characters long; "
                                   f"at most {self.limits.max_query_chars}")
        params = request.query_params
        repeated = [k for k in params if len(params.getlist(k)) > 1]
        if repeated:
            raise query.QueryError(f"{repeated[0]} is given more than once")
        query.known_fields(params, allowed, "the request")
        return params

    async def _compute(self, function, *args) -> JSONResponse:
        assert self.pool is not None
        try:
            return _json(await self.pool.run(function, *args))
        except Overloaded as err:
            return _error(str(err), 429)
        except (ComputationTimeout, UnprocessableRequest) as err:
            return _error(str(err), 422)
        except ComputationFailed as err:
            return _error(str(err), 500)
        except ActlabError as err:
            return _error(str(err), 400)

    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={
            "Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY})

    async def health(self, request: Request) -> Response:
        assert self.pool is not None and self.jobs is not None
        return _json({"ok": True, "computations": self.pool.pending,
                      "training_jobs": self.jobs.running})

    async def catalog_route(self, request: Request) -> Response:
        from actlab.playground.function_data import catalog_overview

        self._params(request, ())
        if self.catalog is None:
            response = await self._compute(catalog_overview)
            if response.status_code == 200:
                self.catalog = json.loads(response.body)
            return response
        return _json(self.catalog)

    async def functions(self, request: Request) -> Response:
        from actlab.playground.function_data import functions_view

        p = self._params(request, ("activations", "xmin", "xmax", "points"))
        lim = self.limits
        texts = query.activation_list(p.get("activations"), "activations", lim.max_activations,
                                      default=DEFAULT_ACTIVATIONS)
        x_min = query.number(p.get("xmin"), "xmin", low=-lim.max_abs_x, high=lim.max_abs_x,
                             default=-5.0)
        x_max = query.number(p.get("xmax"), "xmax", low=-lim.max_abs_x, high=lim.max_abs_x,
                             default=5.0)
        if not x_min < x_max:
            raise query.QueryError(f"xmin must be below xmax, got {x_min:g} and {x_max:g}")
        points = query.whole_number(p.get("points"), "points", low=11,
                                    high=lim.max_curve_points, default=401)
        return await self._compute(functions_view, texts, x_min, x_max, points)

    async def vectors(self, request: Request) -> Response:
        from actlab.playground.function_data import (
            DEFAULT_VECTOR_FUNCTIONS,
            DEFAULT_VECTORS,
            vectors_view,
        )

        p = self._params(request, ("functions", "vectors"))
        lim = self.limits
        texts = query.activation_list(p.get("functions"), "functions", lim.max_activations,
                                      default=DEFAULT_VECTOR_FUNCTIONS)
        inputs = query.vectors(p.get("vectors"), "vector", max_vectors=lim.max_vectors,
                               max_length=lim.max_vector_length, max_abs=lim.max_abs_input,
                               default=DEFAULT_VECTORS)
        return await self._compute(vectors_view, texts, inputs)

    def _theory_activation(self, p: Mapping[str, str]) -> str:
        text = p.get("activation") or "tanh"
        items = query.split_activation_list(text)
        if len(items) != 1:
            raise query.QueryError("the theory view takes one activation")
        return items[0]

    async def theory(self, request: Request) -> Response:
        from actlab.playground.theory_data import theory_view

        p = self._params(request, ("activation", "init", "sigma_w2", "sigma_b2", "depth",
                                   "width", "seed"))
        lim = self.limits
        init = query.choice(p.get("init"), "init", THEORY_INIT_CHOICES, default="lecun_normal")
        sigma_w2 = None
        if p.get("sigma_w2"):
            sigma_w2 = query.number(p.get("sigma_w2"), "sigma_w2", low=1e-3,
                                    high=lim.max_sigma_w2)
        sigma_b2 = query.number(p.get("sigma_b2"), "sigma_b2", low=0.0, high=lim.max_sigma_b2,
                                default=0.0)
        depth = query.whole_number(p.get("depth"), "depth", low=2, high=lim.max_depth,
                                   default=32)
        width = query.whole_number(p.get("width"), "width", low=8, high=lim.max_width,
                                   default=256)
        seed = query.whole_number(p.get("seed"), "seed", low=0, high=2**31 - 1, default=0)
        return await self._compute(theory_view, self._theory_activation(p), init, sigma_w2,
                                   sigma_b2, depth, width, seed)

    async def phase(self, request: Request) -> Response:
        from actlab.playground.theory_data import phase_view

        p = self._params(request, ("activation", "sigma_w2", "sigma_b2"))
        lim = self.limits
        sigma_w2 = query.number(p.get("sigma_w2"), "sigma_w2", low=1e-3, high=lim.max_sigma_w2,
                                default=1.0)
        sigma_b2 = query.number(p.get("sigma_b2"), "sigma_b2", low=0.0, high=lim.max_sigma_b2,
                                default=0.0)
        return await self._compute(phase_view, self._theory_activation(p), sigma_w2, sigma_b2)

    # -- live training ------------------------------------------------------------------
    def _origin_allowed(self, websocket: WebSocket) -> bool:
        origin = websocket.headers.get("origin")
        if origin is None:
            return True  # not a browser: nothing to forge
        host = urlsplit(origin).hostname or ""
        return "*" in self.hosts or host in self.hosts or f"[{host}]" in self.hosts

    async def train(self, websocket: WebSocket) -> None:
        from actlab.playground.training_session import training_config

        assert self.jobs is not None
        if not self._origin_allowed(websocket):
            await websocket.close(code=1008, reason="cross-origin requests are not served")
            return
        await websocket.accept()
        try:
            text = await asyncio.wait_for(websocket.receive_text(), timeout=60)
            if len(text) > self.limits.max_message_bytes:
                raise query.QueryError(f"the training request is {len(text)} characters; "
                                       f"at most {self.limits.max_message_bytes}")
            try:
                data = json.loads(text)
            except ValueError:
                raise query.QueryError("the training request is not valid JSON") from None
            config = training_config(data, self.limits)
            self.jobs.reserve()
        except (TimeoutError, WebSocketDisconnect, KeyError):
            await _close(websocket, 1008)
            return
        except Overloaded as err:
            await _send_error(websocket, str(err), 1013)
            return
        except ActlabError as err:
            await _send_error(websocket, str(err), 1008)
            return
        try:
            await self._run_job(websocket, config)
        finally:
            self.jobs.release()

    async def _run_job(self, websocket: WebSocket, config: Any) -> None:
        assert self.jobs is not None
        forward = asyncio.create_task(self._forward(websocket, config))
        listen = asyncio.create_task(_wait_for_stop(websocket))
        done, _ = await asyncio.wait({forward, listen}, timeout=self.limits.job_seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in (forward, listen):
            task.cancel()
        await asyncio.gather(forward, listen, return_exceptions=True)
        if not done:
            await _send(websocket, {"type": "stopped", "reason": f"the time limit of "
                                    f"{self.limits.job_seconds:g} s was reached"})
        elif listen in done and listen.result() == "stop":
            await _send(websocket, {"type": "stopped", "reason": "stopped"})
        await _close(websocket, 1000)

    async def _forward(self, websocket: WebSocket, config: Any) -> None:
        assert self.jobs is not None
        # aclosing: the job is stopped at once when sending fails or the task is cancelled.
        async with contextlib.aclosing(self.jobs.stream(config)) as messages:
            async for _kind, text in messages:
                await websocket.send_text(text)


async def _wait_for_stop(websocket: WebSocket) -> str:
    """'stop' when the client asks to stop, 'gone' when it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return "gone"
        if message.get("text", "").strip() in ('{"type":"stop"}', '{"type": "stop"}', "stop"):
            return "stop"


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_text(json.dumps(message))


async def _send_error(websocket: WebSocket, message: str, code: int) -> None:
    await _send(websocket, {"type": "error", "message": message})
    await _close(websocket, code)


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code=code)


def create_app(limits: Limits = DEFAULT_LIMITS, hosts: tuple[str, ...] = ()) -> Starlette:
    """The playground as an ASGI app (serve it with uvicorn, or `actlab playground`)."""
    playground = Playground(limits, hosts)

    async def bad_request(request: Request, err: Exception) -> Response:
        return _error(str(err), 400)

    routes = [
        Route("/", playground.index),
        Route("/api/health", playground.health),
        Route("/api/catalog", playground.catalog_route),
        Route("/api/functions", playground.functions),
        Route("/api/vectors", playground.vectors),
        Route("/api/theory", playground.theory),
        Route("/api/phase", playground.phase),
        WebSocketRoute("/api/train", playground.train),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=playground.lifespan,
                    exception_handlers={query.QueryError: bad_request},
                    middleware=[Middleware(TrustedHostMiddleware,
                                           allowed_hosts=list(playground.hosts))])
    app.state.playground = playground
    return app
