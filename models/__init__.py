"""Base classifiers: architecture registry, safe loading of uploads, adapters, demo model.

Submodules (import what you need; this package imports nothing heavy on its own, so
``models.errors`` can be imported without torch):

* :mod:`models.errors` — the error tree (``ModelError`` and its subclasses);
* :mod:`models.registry` — allow-listed architectures (``get_architecture``, ``build_model``);
* :mod:`models.formats` — format detection by content, sha256 content address;
* :mod:`models.loading` — ``load_model`` (safetensors + architecture, or ONNX);
* :mod:`models.adapters` — ``TorchClassifier``, ``OnnxClassifier`` (the sampler's protocol);
* :mod:`models.demo` — the digits demo network and dataset; :mod:`models.train_digits`
  regenerates its weights;
* :mod:`models.datasets` — MNIST / CIFAR-10 from files already on disk.
"""
