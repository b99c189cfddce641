"""One module per op family: ``space(op, shapes, sizes=..., params=...)`` for each op."""
