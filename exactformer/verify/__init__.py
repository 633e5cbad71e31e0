"""The verification ladder (DESIGN §3)."""
from .identity import first_difference, output_polynomial, verify_identity
from .schwartz_zippel import SchwartzZippelResult, verify_schwartz_zippel
from .verdict import (EXACT_IDENTITY, EXACT_ON_BOX, NUMERICAL, RUNGS, SCHWARTZ_ZIPPEL,
                      Difference, Verdict)

__all__ = ["verify_identity", "output_polynomial", "first_difference", "Verdict",
           "Difference", "EXACT_IDENTITY", "EXACT_ON_BOX", "SCHWARTZ_ZIPPEL", "NUMERICAL",
           "RUNGS", "verify_schwartz_zippel", "SchwartzZippelResult"]
