# Sourced by .ci/ffi and .ci/bindings: `readme_example README FILE` fails (with a diff) unless
# the code block that follows `<!-- example: FILE ... -->` in README equals FILE, so the
# examples that CI compiles and runs are exactly the ones a reader copies.
# shellcheck shell=bash

readme_example() {
    local readme="$1" file="$2" block
    block="$(awk -v file="$file" '
        index($0, "<!-- example: " file " ") == 1 { found = 1; next }
        found == 1 && /^```/ { inside = 1; found = 2; next }
        inside && /^```$/ { exit }
        inside { print }
    ' "$readme")"
    if [[ -z "$block" ]]; then
        echo "$readme: no code block marked <!-- example: $file -->" >&2
        return 1
    fi
    if ! diff -u <(printf '%s\n' "$block") "$file"; then
        echo "$readme: the example block differs from $file (diff above): keep them equal" >&2
        return 1
    fi
    echo "$readme: the example equals $file"
}
