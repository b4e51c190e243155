"""A reconstruction problem: the component interfaces, forward chains, components built from specs, the
objective and its terms, the one path from an input to a checked observation, building, results and metrics.
It imports the registry and the wings below it, never a solver."""
