"""``MultiheadAttention`` (Vaswani et al., 2017), with PyTorch's parameters and masks.

The computation is ``ember.ops.attention.multi_head_attention_forward``; this
module holds the projections under PyTorch's names (``in_proj_weight``,
``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``, ``bias_k``,
``bias_v``; ``q_proj_weight``... when key/value sizes differ) so that
checkpoints load either way.
"""

import ember
from ember.nn import init
from ember.nn.module import Module
from ember.nn.modules.linear import Linear
from ember.nn.parameter import Parameter
from ember.ops.attention import multi_head_attention_forward

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's class name for ``MultiheadAttention.out_proj``.

    PyTorch uses the name to keep its quantisation passes away from the
    layer; Ember keeps it so that ``print(model)`` reads the same.
    """


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size ``embed_dim // num_heads``.

    out = concat(head_1, ..., head_h) @ W_o^T + b_o, head_i =
    softmax(q_i k_i^T / sqrt(d) + mask) v_i, with q, k, v the projections of
    query, key and value.

    Args:
        embed_dim: E, the model size (of query, and of the output).
        num_heads: number of heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention weights. Default: 0.
        bias: learn biases of the input and output projections. Default: True.
        add_bias_kv: learn a key and a value (``bias_k``, ``bias_v``) appended
            to every sequence. Default: False.
        add_zero_attn: append a zero key and value to every sequence. Default: False.
        kdim, vdim: sizes of key and value (default ``embed_dim``).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).

    Attributes:
        in_proj_weight: (3E, E), Xavier-uniform (or ``q_proj_weight`` (E, E),
            ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim) when
            kdim or vdim differ from E).
        in_proj_bias: (3E,), zeros. out_proj: Linear(E, E) with a zero bias.
        bias_k, bias_v: (1, 1, E), Xavier-normal.

    Raises:
        ValueError: for non-positive sizes or ``embed_dim`` not divisible by ``num_heads``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater "
                             f"than 0, got embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, "
                             f"got embed_dim={embed_dim} and num_heads={num_heads}")
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        # Registration order is PyTorch's, so state_dict keys come in its order.
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ember.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(ember.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(ember.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ember.empty(3 * embed_dim, embed_dim, **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(ember.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).
            key, value: (S, N, kdim / vdim) likewise.
            key_padding_mask: (N, S) or (S,); True (or a float -inf) marks keys to ignore.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * num_heads, L, S); True marks pairs that may
                NOT attend; a float mask is added to the scores.
            average_attn_weights: average the returned weights over the heads.
            is_causal: a hint that ``attn_mask`` is the causal mask (it must be given).

        Returns:
            (output like ``query`` but of size E, weights (N, L, S) or
            (N, num_heads, L, S), or None when ``need_weights=False``).
        """
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        return out, weights
