"""The models the plugin names: the pretrained catalogue (the embedded ``stylegan2-mnist32`` shipped here as
safetensors, and the published FFHQ and medical models fetched by name, :mod:`.catalog`) and seeded random
networks for benchmarks and tests (:mod:`.random_model`)."""
