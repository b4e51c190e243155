"""``invgen serve``: the local page. Widgets become specs, each job runs as ``invgen run`` does
(:func:`invgen.run.job.prepare`), and only :mod:`invgen.serve.page` imports gradio. It imports the run wing
and those below it, never a solver's internals (no ``solve`` here: the job runs through the run wing)."""
