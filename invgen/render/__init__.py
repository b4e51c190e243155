"""What a run's results look like: the MAP and posterior files rendered in memory, posterior statistics, image
grids and the optimisation GIF. It imports the solvers' results and the wings below, never writes a file."""
