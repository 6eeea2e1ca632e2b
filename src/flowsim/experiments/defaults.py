"""The defaults the command line shows in its help, kept apart so that reading them
imports nothing heavy (the optimiser, SALib, pandas)."""

# Replications per evaluation of a calibration, and per point of a sensitivity run.
CALIBRATE_REPLICATIONS = 100
SENSITIVITY_REPLICATIONS = 20
# What a run writes of its daily counts: statistics per day, or every replication too.
DAILY_CHOICES = ("stats", "per-replication")
