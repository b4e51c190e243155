"""``invgen serve``: the local page. Widgets become specs, each job runs as ``invgen run`` does
(:func:`invgen.run.job.prepare`), and only :mod:`invgen.serve.page` imports gradio."""
