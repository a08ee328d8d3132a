"""Synthetic care networks for examples, tests and benchmarks (``matchcore generate``)."""
