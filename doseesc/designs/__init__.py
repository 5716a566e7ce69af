"""Design families. Each design is a frozen dataclass that validates itself in ``__post_init__``.

``REGISTRY`` maps the names used on the command line and in run files (``design = "boin"``)
to design classes; their constructor arguments become CLI flags and TOML keys.
"""

from .backfill import Backfill
from .base import Design, DeviationWarning, Recommendation
from .blrm import BLRM, BLRMRecommendation, Stopping
from .boin12 import BOIN12
from .crm import CRM, CRMPosterior, crm_skeleton
from .efftox import EffTox
from .ewoc import EWOC, EWOCRecommendation
from .graded import QuasiCRM, gBOIN
from .interval import BOIN, MTPI, MTPI2, BoinBoundaries, I3plus3, Keyboard, boin_boundaries
from .modifiers import Modified
from .threep3 import ThreePlusThree
from .tite import TITEBOIN, TITECRM
from .tite_boin12 import TITEBOIN12

REGISTRY: dict[str, type] = {
    "3+3": ThreePlusThree,
    "boin": BOIN,
    "mtpi": MTPI,
    "mtpi2": MTPI2,
    "keyboard": Keyboard,
    "i3+3": I3plus3,
    "tite-boin": TITEBOIN,
    "tite-crm": TITECRM,
    "crm": CRM,
    "blrm": BLRM,
    "ewoc": EWOC,
    "boin12": BOIN12,
    "efftox": EffTox,
    "gboin": gBOIN,
    "quasi-crm": QuasiCRM,
    "tite-boin12": TITEBOIN12,
}
# Backfill is a method of a design (``with_backfill``): on the command line the --backfill-*
# flags, in run files a ``backfill = {cap = 12, ...}`` table in the design's table.

__all__ = ["Design", "DeviationWarning", "Recommendation", "Backfill", "gBOIN", "QuasiCRM",
           "Modified", "ThreePlusThree", "BOIN", "MTPI", "MTPI2", "Keyboard", "I3plus3",
           "BoinBoundaries", "boin_boundaries", "TITEBOIN", "TITECRM", "CRM", "CRMPosterior",
           "crm_skeleton", "BLRM", "BLRMRecommendation", "Stopping", "EWOC", "EWOCRecommendation", "BOIN12", "EffTox",
           "TITEBOIN12", "REGISTRY"]
