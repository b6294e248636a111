#!/usr/bin/env bash
# Rebuilds config.json from the trained model, the way an ML stack ships a policy:
#   1. import XGBoost's own JSON model with the feature and action spec into a bundle,
#   2. seal it (its digest travels with every decision event),
#   3. put it in the config as policy "offers@1", which the flag's "personalized" variant runs.
# Retrain first with `python3 train.py model.json` (needs xgboost) to start from new data.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
tandem() { cargo run -q -p tandem-cli -- "$@"; }

tandem import xgboost "$here/model.json" --spec "$here/spec.json" >"$here/offers-bundle.json"
tandem seal "$here/offers-bundle.json"
python3 - "$here" <<'PY'
import json, sys
here = sys.argv[1]
config = json.load(open(f"{here}/flags.json"))
config["policies"]["offers@1"] = json.load(open(f"{here}/offers-bundle.json"))
with open(f"{here}/config.json", "w") as out:
    json.dump(config, out, indent=1)
    out.write("\n")
PY
tandem validate "$here/config.json"
echo "wrote $here/config.json"
