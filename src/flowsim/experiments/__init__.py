"""The experiment layer: runs, compares, sweeps, calibrations, ensembles and sensitivity
analyses on any executor. Each returns objects (tables as DataFrames) and writes nothing."""
