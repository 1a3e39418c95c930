"""Every NumPy optimizer's update, checked against the rule written out by hand.

Each ``*_by_hand`` function below is the pseudo-code of the matching class in torch.optim's
documentation (https://pytorch.org/docs/stable/optim.html), transcribed into plain float64
NumPy with torch's symbols: gamma the learning rate, lambda the weight decay, g the gradient,
t the step (from 1). No torch is imported, so these tests hold where torch is not installed.
Three steps on a (2, 3) parameter with fixed gradients (one of them zero in places, one
negative) must agree to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.nn.module import Parameter
from mlplab.optim.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop

THETA0 = np.array([[0.5, -1.2, 2.0], [0.0, 0.3, -0.7]])
GRADS = [np.array([[0.1, -0.4, 1.5], [0.0, 2.0, -0.3]]),
         np.array([[-0.2, 0.5, 0.7], [0.05, -1.0, 0.0]]),
         np.array([[0.3, 0.1, -2.5], [-0.6, 0.4, 0.9]])]
TOLERANCE = 1e-12

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core


def run_optimizer(cls, **hyper) -> list[np.ndarray]:
    """theta after each of the three steps of ``cls(**hyper)`` on THETA0 with GRADS."""
    p = Parameter(THETA0.copy())
    opt = cls([p], **hyper)
    thetas = []
    for g in GRADS:
        opt.zero_grad()
        p.grad = g.copy()
        opt.step()
        thetas.append(p.data.copy())
    return thetas


# -- torch.optim's pseudo-code, step by step --------------------------------------------------
def sgd_by_hand(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    theta, b, out = THETA0.copy(), None, []
    for t, g in enumerate(GRADS, start=1):
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


def adagrad_by_hand(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10):
    theta, out = THETA0.copy(), []
    state_sum = np.full_like(theta, initial_accumulator_value)
    for t, g in enumerate(GRADS, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g**2
        theta = theta - clr * g / (np.sqrt(state_sum) + eps)
        out.append(theta)
    return out


def adadelta_by_hand(lr, rho=0.9, eps=1e-6, weight_decay=0.0):
    theta, out = THETA0.copy(), []
    v, u = np.zeros_like(theta), np.zeros_like(theta)
    for g in GRADS:
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = v * rho + g**2 * (1 - rho)
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = u * rho + delta**2 * (1 - rho)
        theta = theta - lr * delta
        out.append(theta)
    return out


def rmsprop_by_hand(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    theta, out = THETA0.copy(), []
    v, g_ave, b = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for g in GRADS:
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(theta)
    return out


def adam_by_hand(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled=False):
    """Adam's pseudo-code; ``decoupled`` is AdamW's: theta *= 1 - gamma lambda first."""
    (b1, b2), theta, out = betas, THETA0.copy(), []
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - b2**t)
        else:
            v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


CASES = [
    (SGD, sgd_by_hand, dict(lr=0.1)),
    (SGD, sgd_by_hand, dict(lr=0.1, weight_decay=0.05)),
    (SGD, sgd_by_hand, dict(lr=0.1, momentum=0.9)),
    (SGD, sgd_by_hand, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (SGD, sgd_by_hand, dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.02)),
    (Adagrad, adagrad_by_hand, dict(lr=0.1)),
    (Adagrad, adagrad_by_hand, dict(lr=0.1, lr_decay=0.5, weight_decay=0.1,
                                     initial_accumulator_value=0.2, eps=1e-6)),
    (Adadelta, adadelta_by_hand, dict(lr=1.0)),
    (Adadelta, adadelta_by_hand, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    (RMSprop, rmsprop_by_hand, dict(lr=0.01)),
    (RMSprop, rmsprop_by_hand, dict(lr=0.01, alpha=0.9, weight_decay=0.1)),
    (RMSprop, rmsprop_by_hand, dict(lr=0.01, centered=True)),
    (RMSprop, rmsprop_by_hand, dict(lr=0.01, momentum=0.9)),
    (RMSprop, rmsprop_by_hand, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5,
                                     weight_decay=0.05, eps=1e-6)),
    (Adam, adam_by_hand, dict(lr=0.1)),
    (Adam, adam_by_hand, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (Adam, adam_by_hand, dict(lr=0.1, amsgrad=True)),
    (Adam, adam_by_hand, dict(lr=0.1, betas=(0.5, 0.9), amsgrad=True, weight_decay=0.05)),
]


@pytest.mark.parametrize("cls, by_hand, hyper", CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_three_steps_follow_torch_optims_formulas(cls, by_hand, hyper):
    got, want = run_optimizer(cls, **hyper), by_hand(**hyper)
    for t, (a, b) in enumerate(zip(got, want, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE, err_msg=f"step {t}")


@pytest.mark.parametrize("hyper", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.3),
                                   dict(lr=0.1, weight_decay=0.3, amsgrad=True),
                                   dict(lr=0.05, betas=(0.7, 0.95))])
def test_adamw_decays_the_weights_apart_from_the_gradient(hyper):
    """AdamW's default weight decay is 0.01 (torch's), so the first case decays too."""
    expected = {"weight_decay": AdamW.defaults["weight_decay"], **hyper}
    assert expected["weight_decay"] > 0
    got, want = run_optimizer(AdamW, **hyper), adam_by_hand(**expected, decoupled=True)
    for t, (a, b) in enumerate(zip(got, want, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE, err_msg=f"step {t}")


def test_the_tolerance_sees_a_wrong_rule():
    """The comparison is not vacuous: Adam against its formula with beta2 0.99 instead of
    0.999, or against AdamW's decoupled decay, is far outside the tolerance."""
    got = run_optimizer(Adam, lr=0.1, weight_decay=0.1)
    assert np.abs(got[2] - adam_by_hand(lr=0.1, betas=(0.9, 0.99), weight_decay=0.1)[2]).max() \
        > 1e3 * TOLERANCE
    assert np.abs(got[2] - adam_by_hand(lr=0.1, weight_decay=0.1, decoupled=True)[2]).max() \
        > 1e3 * TOLERANCE
