"""What tests and benchmarks share: scratch databases (:mod:`.databases`), free ports and
service processes (:mod:`.processes`), and rows seeded straight into a store
(:mod:`.factories`). Benchmarks import it as ``tests.support`` (run them from the
repository root with ``python -m benchmarks.<name>``)."""
