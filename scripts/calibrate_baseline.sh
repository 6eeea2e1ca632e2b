#!/usr/bin/env bash
# Refit the baseline's matching parameters to the record, from the values the record
# gives directly; the fitted values are the ones scenarios/baseline.toml ships.
set -euo pipefail
cd "$(dirname "$0")/.."
flowsim calibrate scenarios/baseline.toml --targets calibration/targets.toml \
  --set matching.tin_rate=0.033355 --set matching.name_address_rate=0.003713 \
  --set matching.setup_days=20 \
  --free matching.tin_rate=0.02:0.05 --free matching.name_address_rate=0.001:0.01 \
  --free matching.setup_days=5:40 \
  --replications 200 --out results/baseline-calibration "$@"
