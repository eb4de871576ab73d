"""The machinery of `benchmarks.runtimes`: processes, the driver, statistics and tables."""
