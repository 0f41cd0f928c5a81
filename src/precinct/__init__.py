"""precinct: police operations and workforce-performance platform."""

__version__ = "0.1.0"
