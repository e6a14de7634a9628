"""The installed version of Heartbeat."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("heartbeat")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0+source"
