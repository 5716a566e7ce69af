"""Design families. Each design is a frozen dataclass that validates itself in ``__post_init__``."""

from .base import Design, Recommendation
from .threep3 import ThreePlusThree

__all__ = ["Design", "Recommendation", "ThreePlusThree"]
