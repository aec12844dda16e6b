"""The load test's safety rules, shared by the runner and the locustfile (stdlib only).

The load test must never hit anything but a portal on this very machine — not the district's
server, not a colleague's — and must always stop by itself. Both rules are enforced with
exceptions, not `assert` statements, so that `python -O` cannot switch them off.
"""

from urllib.parse import urlsplit

# Only the loopback interface. "[::1]" is left out on purpose: gunicorn is bound to 127.0.0.1.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

# Bounds of the runner's options and of the locustfile's own checks: beyond them the run says
# nothing more about the portal and only ties up a shared machine.
MAX_USERS = 200
MAX_SPAWN_RATE = 50
MIN_DURATION_S = 5
MAX_DURATION_S = 600
MAX_WORKERS = 32
# The browsing starts once every user has signed in; this much time is allowed for the
# sign-ins on top of the browsing, after which locust's --run-time ends the run regardless.
SIGN_IN_LIMIT_S = 180
# Seconds a simulated person spends on a page before opening the next one.
MAX_THINK_S = 120.0


class UnsafeTarget(ValueError):
    """The load test was pointed at something other than this machine's loopback."""


class Unbounded(ValueError):
    """The load test was asked to run with too many users, too long, or without an end."""


def require_loopback(url: str) -> str:
    """Return `url` unchanged if it is plain http(s) on 127.0.0.1 or localhost, else raise."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port raises on a malformed port
    except (TypeError, ValueError) as error:
        raise UnsafeTarget(f"Not a URL: {url!r}") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"Only http(s) URLs, not {url!r}")
    # user:password@host is a classic way to make a URL read as one host and go to another.
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget(f"No credentials in the target URL: {url!r}")
    if host not in LOOPBACK_HOSTS:
        raise UnsafeTarget(f"The load test only targets 127.0.0.1 or localhost, not {host!r}")
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeTarget(f"Bad port in {url!r}")
    return url


def require_path(path: str) -> str:
    """Return `path` if it is a path on the same host ("/…"), else raise.

    A scheme-relative "//host/…" or an absolute URL would make the HTTP client leave the
    target host, whatever --host says.
    """
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise UnsafeTarget(f"Only paths on the target host, not {path!r}")
    return path


def bounded(name: str, value: int, low: int, high: int) -> int:
    """Return `value` if low <= value <= high, else raise Unbounded naming the option."""
    if not low <= value <= high:
        raise Unbounded(f"{name} must be between {low} and {high}, not {value}")
    return value


def think_range(text: str) -> tuple[float, float]:
    """Parse a think time "MIN-MAX" in seconds (e.g. "5-15"), bounded: 0.5 <= MIN <= MAX <= 120.

    Not zero: users who never pause would measure only how fast the test client can loop.
    """
    low, sep, high = text.partition("-")
    try:
        if not sep:
            raise ValueError
        low_s, high_s = float(low), float(high)
    except ValueError as error:
        raise Unbounded(
            f"The think time is MIN-MAX in seconds, such as 5-15, not {text!r}"
        ) from error
    if not 0.5 <= low_s <= high_s <= MAX_THINK_S:
        raise Unbounded(f"The think time must lie within 0.5-{MAX_THINK_S:g} s, not {text!r}")
    return low_s, high_s
