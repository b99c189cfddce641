"""The networks suite: whole models, torch against the same model converted to kernels."""
