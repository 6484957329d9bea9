"""Base classifiers: architecture registry, safe loading of uploads, adapters, demo model.

Submodules (import what you need; this package imports nothing heavy on its own, so
``dsrs_models.errors`` can be imported without torch):

* :mod:`dsrs_models.errors` — the error tree (``ModelError`` and its subclasses);
* :mod:`dsrs_models.registry` — allow-listed architectures (``get_architecture``, ``build_model``);
* :mod:`dsrs_models.formats` — format detection by content, sha256 content address;
* :mod:`dsrs_models.loading` — ``load_model`` (safetensors + architecture, or ONNX);
* :mod:`dsrs_models.adapters` — ``TorchClassifier``, ``OnnxClassifier`` (the sampler's protocol);
* :mod:`dsrs_models.demo` — the digits demo network and dataset; :mod:`dsrs_models.train_digits`
  regenerates its weights;
* :mod:`dsrs_models.dataset_loading` — MNIST / CIFAR-10 from files already on disk;
* :mod:`dsrs_models.input_arrays` — input array files (.npy/.npz/safetensors), read without
  unpickling, in the sandbox for the API (:mod:`dsrs_models.sandbox`).
"""
