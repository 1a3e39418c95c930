"""Comparison tables, plots and the Markdown/HTML report of a run."""
