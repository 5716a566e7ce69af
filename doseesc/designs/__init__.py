"""Design families. Each design is a frozen dataclass that validates itself in ``__post_init__``.

``REGISTRY`` maps the names used on the command line and in run files (``design = "boin"``)
to design classes; their constructor arguments become CLI flags and TOML keys.
"""

from .base import Design, Recommendation
from .crm import CRM, CRMPosterior, crm_skeleton
from .threep3 import ThreePlusThree

REGISTRY: dict[str, type] = {
    "3+3": ThreePlusThree,
    "crm": CRM,
}

__all__ = ["Design", "Recommendation", "ThreePlusThree", "CRM", "CRMPosterior", "crm_skeleton", "REGISTRY"]
