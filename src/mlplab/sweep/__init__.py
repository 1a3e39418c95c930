"""Many seeds and sweeps: every model of an experiment over a list of seeds, or a grid of
settings (``--set KEY=V1,V2``) times seeds, on local worker processes or Ray tasks; tables
with mean ± sd, 95% intervals and paired comparisons, figures, and an honest choice (on the
validation split; held-out splits only for the chosen setting).

``mlplab run NAME --seeds 0-9`` and ``mlplab sweep NAME --set ...`` call :func:`run_plan`.
"""

from mlplab.sweep.core import Outcome, Plan, run_plan
from mlplab.sweep.grid import parse_seeds, parse_sets

__all__ = ["Outcome", "Plan", "parse_seeds", "parse_sets", "run_plan"]
