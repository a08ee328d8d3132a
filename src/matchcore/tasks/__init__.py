"""Today's kind of matching: help requests served by one or more volunteers.

The pipeline is :func:`matchcore.tasks.solve.solve` (``matchcore.solve``);
each step has its own module (see the README's "How it works").
"""
