"""Certificates as Coq proofs that ``coqc`` checks with its own kernel: the generic
route through the construction-A theorem of proofs/coq (:mod:`.masked`), or the forward
pass as unrolled block equations (:mod:`.unrolled`)."""
from .masked import coqc_command, export_coq_masked, is_generic_masked
from .unrolled import export_coq

__all__ = ["coqc_command", "export_coq", "export_coq_masked", "is_generic_masked"]
