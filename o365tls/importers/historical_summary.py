"""TODO: being written."""
from .base import Format
from ..schema import OBSERVATIONS
FORMAT = Format(name="historical-summary", description="", kind=OBSERVATIONS, carries_tls=True, signature=(), detect=lambda s: False, read=lambda s, r, c: iter(()))
