"""Recall's benchmark: the real bot driven through the local emulator, side by side with a plain discord.py baseline.

Run `python -m bench` (about four minutes) or `python -m bench --quick` (seconds); `--json` for machine-readable output.
"""
