"""Side-by-side benchmarks of matchcore against the tools people use today.

``make bench`` (``python -m benchmarks``) generates instance families with
:func:`matchcore.synth.generate.generate`, runs every peer on every instance in its
own subprocess (:mod:`benchmarks.run_peer`), scores each plan with the
independent checker :func:`matchcore.check.check`, and writes
``benchmarks/results/<family>.json``, ``summary.md`` and ``summary.png``.
See ``benchmarks/README.md``.
"""
