"""Measuring methods: ``invgen eval`` (tasks, methods, trials, saved parts, tables and figures), ``tune``,
std-map calibration, the classical baselines and ``invgen bench``. It runs solvers only through
:func:`~invgen.solvers.solving.solve` and imports the wings below it."""
