"""The runtimes `benchmarks.runtimes` compares: one module per system, and their apps."""
