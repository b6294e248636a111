# Shared by the scripts in .ci/ (sourced, not run): strict mode, the repository root as the
# working directory, and section headers.
# shellcheck shell=bash

set -euo pipefail

CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CI_ROOT"

# rustup's cargo/bin may be missing from PATH in a non-login shell.
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# A fresh clone builds everything once: incremental compilation only costs time and disk there.
if [[ "${CI:-}" == "true" ]]; then
    export CARGO_INCREMENTAL=0
fi

section() {
    printf '\n==== %s ====\n' "$*"
}

# Runs a command after printing it, so a log shows exactly what ran.
run() {
    printf '+ %s\n' "$*"
    "$@"
}
