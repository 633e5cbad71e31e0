"""The checker's size limits, in one place (exit 3 when one would be passed).

Code reads them as ``limits.NAME`` when it runs, so that setting one on the package
(``exactformer.checker.MAX_BYTES = ...``) sets it here for every module.
"""
MAX_BYTES = 200_000_000      # a certificate file
MAX_NUMBER_CHARS = 5000      # an exact number's text; JSON integers: half of it in digits
MAX_EXPONENT = 1000          # an exponent in a file or a readout form
MAX_TOKENS = 200_000         # tokens, and each matrix dimension
MAX_CELLS = 10_000_000       # tokens x (width, head or hidden size): bounds the memory used
MAX_PRODUCT_WORK = 20_000_000  # terms(p) * terms(q) of one polynomial product
MAX_FORM_BITS = 200_000      # bits of a power in a readout form
MAX_FORM_TERMS = 100_000     # terms of a power in a readout form
