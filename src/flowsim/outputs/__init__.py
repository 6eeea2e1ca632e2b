"""The output layer: every writer and the one manifest builder, the safe output folders,
the readers of results folders, charts, the report and the text tables."""
