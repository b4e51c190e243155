"""Solving a problem: :func:`~invgen.solvers.solving.solve` (the one entry), MAP, Gaussian VI, the mixture over
starts, VI's data-aligned basis, diverse starts and the consistency post-steps. It imports the problem wing
and those below it."""
