"""On-demand benchmarks of the trigger bridge; run from the repository root, see bench/README.md.

Not part of the test suite: each script starts real processes, takes minutes and prints figures
next to a baseline measured in the same run.
"""
