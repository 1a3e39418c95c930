"""scikit-learn's own estimator checks (``parametrize_with_checks``) on mlplab's estimators.

Every check scikit-learn yields for them runs and passes, except the ones in NOT_APPLICABLE,
where the test asserts that the check itself declines to apply (it raises SkipTest)."""

from __future__ import annotations

from unittest import SkipTest

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlplab.sklearn import MLPClassifier, MLPRegressor

# small, quick settings that still learn the checks' toy problems (a run takes seconds)
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(16,), epochs=60, learning_rate=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), epochs=60, learning_rate=0.01, random_state=0),
]

# check name -> why it cannot apply
NOT_APPLICABLE = {
    "check_array_api_input": "the estimators compute with NumPy only (array_api_support is "
                             "False); scikit-learn skips this check unless SCIPY_ARRAY_API is "
                             "set",
}


def _name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks(CHECKED)
def test_sklearn_compatible(estimator, check):
    if _name(check) in NOT_APPLICABLE:
        with pytest.raises(SkipTest):
            check(estimator)
        return
    check(estimator)
