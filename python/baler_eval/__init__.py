"""baler eval: compare an original ROOT file with its compressed version.

Per-branch errors and bytes, physics analyses before and after, and what a bound buys at a fixed
storage budget; a report.html with PNG plots. Run as `baler eval` or `python -m baler_eval`.
"""
