#!/usr/bin/env bash
# The record-consistent parameter sets that calibration/ensemble.csv ships: the baseline's
# unknowns (calibration/unknowns.toml) sampled and matched to calibration/targets.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
flowsim calibrate scenarios/baseline.toml --targets calibration/targets.toml \
  --unknowns calibration/unknowns.toml --ensemble 1000 --waves 8 --replications 20 \
  --out results/baseline-ensemble "$@"
cp results/baseline-ensemble/ensemble.csv calibration/ensemble.csv
