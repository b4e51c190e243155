"""The one path of ``invgen run``, one input or many: inputs collected and shared out, the output folder and
its index, each input loaded and observed, solved in batches on one generator, checked against the
generator's domain, recorded (``run.json``) and written whole. It imports every wing below it."""
