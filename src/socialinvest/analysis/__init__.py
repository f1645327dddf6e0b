"""Analyses built on the engine: one-way sensitivity and threshold values (``sensitivity``), and
comparison of alternatives with dominance, the efficiency frontier and EVPI (``compare``)."""
