#!/usr/bin/env bash
# Compile the Coq development (logical path Exactformer) and check the theorem:
#   bash proofs/coq/check.sh
# Needs coqc 8.16 with MathComp ssreflect/algebra and multinomials (.ci/system-deps
# installs them). Exits non-zero on any failure: a file that does not compile, a
# forbidden command (Admitted, admit, Axiom, Parameter, Hypothesis, ...), or a main
# theorem that depends on an axiom.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if ! command -v coqc >/dev/null 2>&1; then
  echo "check.sh: coqc not found; install the packages of .ci/system-deps" >&2
  exit 2
fi
lib="$(coqc -where)"
for dir in mathcomp/ssreflect mathcomp/algebra SsrMultinomials; do
  if [ ! -d "$lib/user-contrib/$dir" ]; then
    echo "check.sh: $lib/user-contrib/$dir is missing (MathComp and multinomials;" \
         "see .ci/system-deps)" >&2
    exit 2
  fi
done
files=(IR.v Tokens.v Masked.v)
# nothing may be assumed: every statement is proved
if grep -nwE 'Admitted|admit|Axiom|Axioms|Parameter|Parameters|Hypothesis|Hypotheses|Conjecture' "${files[@]}"; then
  echo "check.sh: a forbidden command is in the development (above)" >&2
  exit 1
fi
flags=(-q -w -notation-overridden,-ambiguous-paths -R "$here" Exactformer)
SECONDS=0
for f in "${files[@]}"; do
  coqc "${flags[@]}" "$f"
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/Assumptions.v" <<'COQ'
From Exactformer Require Import Masked.
Print Assumptions masked_zero_error.
Print Assumptions masked_data_zero_error.
Print Assumptions masked_zero_error_mdeg.
Print Assumptions masked_certificate_zero_error.
COQ
out="$(cd "$tmp" && coqc "${flags[@]}" Assumptions.v)"
echo "$out"
if [ "$(grep -c 'Closed under the global context' <<<"$out")" -ne 4 ]; then
  echo "check.sh: masked_zero_error depends on assumptions (above)" >&2
  exit 1
fi
echo "check.sh: Exactformer.Masked.masked_zero_error proved, no axioms (${SECONDS} s)"
