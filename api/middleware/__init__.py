"""ASGI middleware wrapped around every request: admission, body size and read-time
limits, the NUL guard and security headers."""
