"""Where models are built and solved: one module per engine, one shared Part."""
