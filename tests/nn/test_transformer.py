"""TransformerEncoderLayer / DecoderLayer, the stacks and nn.Transformer against torch."""

import warnings

import numpy as np
import pytest
import torch

import ember
from reference import close, rand

D, H, FF = 8, 2, 12


def pair(cls, *args, **kwargs):
    """Our layer and torch's with torch's weights (biases made nonzero), eval mode."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notes
        ref = getattr(torch.nn, cls)(*args, **kwargs, dtype=torch.float64)
    with torch.no_grad():
        for p in ref.parameters():
            if p.ndim == 1:
                p.uniform_(-0.5, 0.5)
    ours = getattr(ember.nn, cls)(*args, **kwargs, dtype=ember.float64)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ours.state_dict().items():
        assert tuple(v.shape) == tuple(ref.state_dict()[k].shape), k
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours.eval(), ref.eval()


def compare(ours, ref, inputs, masks=None, **kwargs):
    """Outputs and gradients of every input and parameter (float64, eval mode)."""
    masks = masks or {}
    xe = [ember.tensor(a, requires_grad=True) for a in inputs]
    xt = [torch.tensor(a, requires_grad=True) for a in inputs]
    ye = ours(*xe, **{k: ember.tensor(m) for k, m in masks.items()}, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = ref(*xt, **{k: torch.tensor(m) for k, m in masks.items()}, **kwargs)
    close(ye, yt)
    up = rand(tuple(yt.shape), 5)
    (ye * ember.tensor(up)).sum().backward()
    (yt * torch.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(zip(xe, xt)):
        close(a.grad, b.grad, what=f"grad of input {i}")
    params = dict(ref.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(params)
    for name, p in ours.named_parameters():
        close(p.grad, params[name].grad, what=f"grad of {name}")


def seq(n, batch_first, seed, N=3):
    return rand((N, n, D) if batch_first else (n, N, D), seed)


PADDING = np.zeros((3, 5), bool)
PADDING[0, 3:] = PADDING[2, 0] = True
CAUSAL_FLOAT = np.triu(np.full((5, 5), -np.inf), 1)
CAUSAL_BOOL = np.triu(np.ones((4, 4), bool), 1)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer(batch_first, norm_first):
    ours, ref = pair("TransformerEncoderLayer", D, H, FF, dropout=0.0, batch_first=batch_first,
                     norm_first=norm_first)
    src = seq(5, batch_first, 0)
    compare(ours, ref, [src])
    compare(ours, ref, [src], {"src_mask": CAUSAL_FLOAT, "src_key_padding_mask": PADDING})


@pytest.mark.parametrize("activation,bias", [("gelu", True), ("relu", False)])
def test_encoder_layer_activation_and_bias(activation, bias):
    ours, ref = pair("TransformerEncoderLayer", D, H, FF, activation=activation, bias=bias)
    compare(ours, ref, [seq(5, False, 0)], {"src_mask": np.triu(np.ones((5, 5), bool), 1)})


def test_encoder_layer_callable_activation():
    ours = ember.nn.TransformerEncoderLayer(D, H, FF, activation=ember.nn.functional.gelu)
    assert ours.activation is ember.nn.functional.gelu
    with pytest.raises(RuntimeError, match="activation should be 'relu', 'gelu'.*'tanh'"):
        ember.nn.TransformerEncoderLayer(D, H, activation="tanh")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer(batch_first, norm_first):
    ours, ref = pair("TransformerDecoderLayer", D, H, FF, dropout=0.0, batch_first=batch_first,
                     norm_first=norm_first)
    tgt, memory = seq(4, batch_first, 0), seq(5, batch_first, 1)
    compare(ours, ref, [tgt, memory],
            {"tgt_mask": CAUSAL_BOOL, "memory_key_padding_mask": PADDING,
             "tgt_key_padding_mask": PADDING[:, :4]}, tgt_is_causal=True)
    compare(ours, ref, [tgt, memory], {"memory_mask": rand((4, 5), 3)})


def test_encoder_and_decoder_stacks():
    layer = ember.nn.TransformerEncoderLayer(D, H, FF)
    stack = ember.nn.TransformerEncoder(layer, 3)
    assert stack.layers[0] is not layer and stack.layers[0] is not stack.layers[1]
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(D, H, FF, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.TransformerEncoder(t_layer, 2, torch.nn.LayerNorm(D, dtype=torch.float64))
    ours = ember.nn.TransformerEncoder(
        ember.nn.TransformerEncoderLayer(D, H, FF, dtype=ember.float64), 2,
        ember.nn.LayerNorm(D, dtype=ember.float64))
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    ours.eval(), ref.eval()
    compare(ours, ref, [seq(5, False, 0)], {"mask": CAUSAL_FLOAT, "src_key_padding_mask": PADDING})

    t_dec = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D, H, FF, dtype=torch.float64, norm_first=True), 2)
    ours = ember.nn.TransformerDecoder(
        ember.nn.TransformerDecoderLayer(D, H, FF, dtype=ember.float64, norm_first=True), 2)
    assert list(ours.state_dict()) == list(t_dec.state_dict())
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_dec.state_dict().items()})
    compare(ours.eval(), t_dec.eval(), [seq(4, False, 0), seq(5, False, 1)],
            {"tgt_mask": CAUSAL_BOOL})


@pytest.mark.parametrize("batch_first,norm_first", [(False, False), (True, True)])
def test_full_transformer(batch_first, norm_first):
    ours, ref = pair("Transformer", D, H, 2, 1, FF, batch_first=batch_first,
                     norm_first=norm_first)
    src, tgt = seq(5, batch_first, 0), seq(4, batch_first, 1)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    compare(ours, ref, [src, tgt],
            {"tgt_mask": mask.numpy(), "src_key_padding_mask": PADDING,
             "memory_key_padding_mask": PADDING})


def test_transformer_init_repr_and_mask():
    ember.manual_seed(0)
    ours = ember.nn.Transformer(16, 2, 1, 1, 32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.Transformer(16, 2, 1, 1, 32)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    w = ours.encoder.layers[0].linear1.weight.detach().numpy()  # xavier_uniform_ (32, 16)
    bound = np.sqrt(6 / 48)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    close(ember.nn.Transformer.generate_square_subsequent_mask(5),
          torch.nn.Transformer.generate_square_subsequent_mask(5))


def test_transformer_errors():
    model = ember.nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match=r"batch number of src and tgt.*\[5, 3, 8\]"):
        model(ember.zeros(5, 3, D), ember.zeros(4, 2, D))
    with pytest.raises(RuntimeError, match="feature number .* equal to d_model=8"):
        model(ember.zeros(5, 3, 6), ember.zeros(4, 3, 6))
