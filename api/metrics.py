"""Request counts and latencies by route, exposed at ``/metrics`` by prometheus-client."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The service's Prometheus metrics (prometheus-client), in a registry of their own (one per app)."""

    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series mean nothing to this service's dashboards
        self.registry = CollectorRegistry()
        self.requests = Counter("boussole_requests", "HTTP requests by route, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.errors = Counter("boussole_request_errors", "HTTP responses with status >= 400, by route.", ["route"],
                              registry=self.registry)
        self.latency = Histogram("boussole_request_duration_seconds", "Request latency.", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.state = Gauge("boussole_backend", "Numbers the backend reports (workers alive, restarts, timeouts…).",
                           ["name"], registry=self.registry)
        self.started = time.time()
        Gauge("boussole_uptime_seconds", "Seconds since the service started.",
              registry=self.registry).set_function(lambda: time.time() - self.started)

    @staticmethod
    def route(path: str) -> str:
        for prefix in (
            "/sparql",
            "/store",
            "/id/",
            "/def",
            "/static",
            "/ui",
            "/dump",
            "/dataset",
            "/health",
            "/metrics",
            "/context",
        ):
            if path.startswith(prefix):
                return prefix.rstrip("/")
        return "/" if path == "/" else "other"

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        route = self.route(path)
        self.requests.labels(route, method, str(status)).inc()
        if status >= 400:
            self.errors.labels(route).inc()
        self.latency.labels(route).observe(seconds)

    def render(self, backend_numbers: dict[str, float]) -> bytes:
        for name, value in backend_numbers.items():
            self.state.labels(name).set(value)
        return generate_latest(self.registry)


class MetricsMiddleware:
    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(scope.get("path", ""), scope.get("method", ""), status[0], time.perf_counter() - start)
