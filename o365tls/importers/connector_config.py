"""TODO: being written."""
from .base import Format
from ..schema import OBSERVATIONS
FORMAT = Format(name="connector-config", description="", kind=OBSERVATIONS, carries_tls=True, signature=(), detect=lambda s: False, read=lambda s, r, c: iter(()))
