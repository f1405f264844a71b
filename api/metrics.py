"""Request counts and latencies by route, exposed at ``/metrics`` in the Prometheus text format."""

from __future__ import annotations

import time
from collections import defaultdict

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(LATENCY_BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.started = time.time()

    @staticmethod
    def route(path: str) -> str:
        for prefix in ("/sparql", "/store", "/id/", "/def", "/static", "/ui", "/dump", "/dataset", "/health", "/metrics", "/context"):
            if path.startswith(prefix):
                return prefix.rstrip("/")
        return "/" if path == "/" else "other"

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        route = self.route(path)
        self.requests[(route, method, status)] += 1
        self.sums[route] += seconds
        self.counts[route] += 1
        b = self.buckets[route]
        for k, limit in enumerate(LATENCY_BUCKETS):
            if seconds <= limit:
                b[k] += 1
        b[-1] += 1

    def render(self, extra: dict[str, float]) -> str:
        lines = ["# HELP boussole_requests_total HTTP requests by route, method and status.",
                 "# TYPE boussole_requests_total counter"]
        for (route, method, status), n in sorted(self.requests.items()):
            lines.append(f'boussole_requests_total{{route="{route}",method="{method}",status="{status}"}} {n}')
        lines += ["# HELP boussole_request_errors_total HTTP responses with status >= 400, by route.",
                  "# TYPE boussole_request_errors_total counter"]
        errors: dict[str, int] = defaultdict(int)
        for (route, _, status), n in self.requests.items():
            if status >= 400:
                errors[route] += n
        for route, n in sorted(errors.items()):
            lines.append(f'boussole_request_errors_total{{route="{route}"}} {n}')
        lines += ["# HELP boussole_request_duration_seconds Request latency.", "# TYPE boussole_request_duration_seconds histogram"]
        for route in sorted(self.counts):
            for k, limit in enumerate(LATENCY_BUCKETS):
                lines.append(f'boussole_request_duration_seconds_bucket{{route="{route}",le="{limit}"}} {self.buckets[route][k]}')
            lines.append(f'boussole_request_duration_seconds_bucket{{route="{route}",le="+Inf"}} {self.buckets[route][-1]}')
            lines.append(f'boussole_request_duration_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}')
            lines.append(f'boussole_request_duration_seconds_count{{route="{route}"}} {self.counts[route]}')
        for name, value in extra.items():
            lines += [f"# TYPE boussole_{name} gauge", f"boussole_{name} {value}"]
        lines.append(f"boussole_uptime_seconds {time.time() - self.started:.1f}")
        return "\n".join(lines) + "\n"


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
