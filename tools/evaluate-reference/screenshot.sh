#!/usr/bin/env bash
# Screenshot of an HTML report in headless Chromium (Debian's; installed when missing), with
# playwright-core pinned in package.json. Usage: screenshot.sh REPORT.html OUT.png
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium
fi
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
    (cd "$here" && npm install --no-audit --no-fund --silent)
fi
node "$here/screenshot.mjs" "$1" "$2"
