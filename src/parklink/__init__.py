"""parklink: plan, match and monitor cross-regional industrial cooperation parks."""

__version__ = "0.1.0"
