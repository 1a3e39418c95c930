"""One ONNX converter per layer kind, named by the kind's record (``LayerKind.onnx`` holds
``"mlplab.export.onnx_ops:<name>"``), so adding a layer adds its converter to its record.

converter(graph, layer, x, shape, params) -> (output name, output shape without the batch
dimension); ``graph`` is a :class:`mlplab.export.onnx_graph.Graph`, ``layer`` the LayerSpec,
``params`` the layer's weights from the state dict ("weight", "bias"), float32.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.errors import SpecError

SOFTPLUS_THRESHOLD = 20.0   # mlplab.nn.Softplus's (and torch's) threshold


# converter(graph, layer, x, shape, params) -> (output name, output shape without the batch
# dimension); ``params`` are the layer's weights from the state dict ("weight", "bias").
def linear(g, layer, x, shape, p):
    w, b = p["weight"], p["bias"]
    return g.op("Gemm", [x, g.const(w, "weight"), g.const(b, "bias")], "linear",
                transB=1), (layer.args[1],)


def elementwise(op_type: str, **attrs):
    """A converter of one ONNX operator applied to every value."""
    return lambda g, layer, x, shape, p: (g.op(op_type, [x], **attrs), shape)


def step(g, layer, x, shape, p):   # 1 where x >= 0, else 0 (NaN gives 0, as in NumPy)
    ge = g.op("GreaterOrEqual", [x, g.const(0.0)])
    return g.op("Cast", [ge], "step", to=g.onnx.TensorProto.FLOAT), shape


def leakyrelu(g, layer, x, shape, p):
    slope = layer.args[0] if layer.args else 0.01
    return g.op("LeakyRelu", [x], alpha=float(slope)), shape


def softplus(g, layer, x, shape, p):
    # log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch's rule)
    beta = float(layer.args[0]) if layer.args else 1.0
    bx = g.op("Mul", [x, g.const(beta)]) if beta != 1.0 else x
    soft = g.op("Softplus", [bx])
    if beta != 1.0:
        soft = g.op("Div", [soft, g.const(beta)])
    big = g.op("Greater", [bx, g.const(SOFTPLUS_THRESHOLD)])
    return g.op("Where", [big, x, soft], "softplus"), shape


def gelu(g, layer, x, shape, p):
    if layer.args and layer.args[0] == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.op("Mul", [x, g.op("Mul", [x, x])])
        inner = g.op("Add", [x, g.op("Mul", [x3, g.const(0.044715)])])
        t = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2 / math.pi))])])
        half_x = g.op("Mul", [x, g.const(0.5)])
        return g.op("Mul", [half_x, g.op("Add", [t, g.const(1.0)])], "gelu"), shape
    if layer.args and layer.args[0] != "none":
        raise SpecError(f"gelu:{layer.args[0]}: unknown GELU approximation; use gelu or "
                        "gelu:tanh")
    # x * 0.5 (1 + erf(x / sqrt 2)): the erf form, as mlplab.nn.GELU computes it
    e = g.op("Erf", [g.op("Div", [x, g.const(math.sqrt(2))])])
    cdf = g.op("Mul", [g.op("Add", [e, g.const(1.0)]), g.const(0.5)])
    return g.op("Mul", [x, cdf], "gelu"), shape


def silu(g, layer, x, shape, p):
    return g.op("Mul", [x, g.op("Sigmoid", [x])], "silu"), shape


def softmax(g, layer, x, shape, p):
    dim = int(layer.args[0]) if layer.args else -1
    return g.op("Softmax", [x], axis=dim), shape


def flatten(g, layer, x, shape, p):
    return g.op("Flatten", [x], axis=1), (int(np.prod(shape)),)


def dropout(g, layer, x, shape, p):
    return x, shape   # inverted dropout: the identity at inference


def layernorm(g, layer, x, shape, p):
    return g.op("LayerNormalization", [x, g.const(p["weight"], "ln_weight"),
                                       g.const(p["bias"], "ln_bias")],
                "layernorm", axis=-1, epsilon=1e-5), shape


def conv(g, layer, x, shape, p):   # Conv2d(in, out, 3, padding=1), as the twin builds it
    out = g.op("Conv", [x, g.const(p["weight"], "conv_weight"), g.const(p["bias"], "conv_bias")],
               "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return out, (layer.args[1], *shape[1:])


def maxpool(g, layer, x, shape, p):   # MaxPool2d(k): stride k, no padding, floor
    k = int(layer.args[0]) if layer.args else 2
    return (g.op("MaxPool", [x], "maxpool", kernel_shape=[k, k], strides=[k, k]),
            (shape[0], shape[1] // k, shape[2] // k))


def identity(g, layer, x, shape, p):
    return x, shape


sigmoid = elementwise("Sigmoid")
tanh = elementwise("Tanh")
relu = elementwise("Relu")
