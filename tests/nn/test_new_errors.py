"""Each argument check added with this session's layers, losses and utilities raises
with a message that names the problem."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.nn.utils import rnn as R

Z = ember.zeros
L = ember.long
P = R.pack_sequence([Z(3, 2), Z(2, 2)])

CASES = [
    # channel and alpha dropout, shuffles
    (lambda: F.dropout1d(Z(2)), RuntimeError, "Expected 2D or 3D input"),
    (lambda: F.pixel_shuffle(Z(4, 4), 2), RuntimeError, "at least 3 dimensions"),
    (lambda: F.pixel_unshuffle(Z(4, 4), 2), RuntimeError, "at least 3 dimensions"),
    (lambda: F.channel_shuffle(Z(4, 4), 2), RuntimeError, "at least 3 dimensions"),
    # padding and pooling layers
    (lambda: ember.nn.ZeroPad1d((1, 2, 3)), ValueError, "expected an int or 2 padding amounts"),
    (lambda: ember.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5), ValueError,
     "only one of output_size and output_ratio"),
    (lambda: ember.nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError,
     "output_ratio must be between 0 and 1"),
    (lambda: F.fractional_max_pool2d(Z(1, 1, 6, 6), 2), ValueError,
     "either an output_size or an output_ratio"),
    (lambda: F.fractional_max_pool2d(Z(1, 1, 6, 6), 2, output_ratio=(0.5, 0.5, 0.5)),
     ValueError, "output_ratio must be one number or 2"),
    (lambda: F.fractional_max_pool2d(Z(1, 1, 6, 6), 2, 3, _random_samples=Z(2, 1, 2)),
     ValueError, r"expected _random_samples of shape \(1, 1, 2\)"),
    (lambda: F.max_unpool2d(Z(1, 1, 2, 2), Z(1, 1, 2, 2, dtype=L) + 99, 2), RuntimeError,
     "found an index outside the output of 16 elements"),
    (lambda: F.local_response_norm(Z(2, 3), 2), ValueError, "3D or higher dimensionality"),
    # norms
    (lambda: ember.nn.InstanceNorm1d(3, affine=True)(Z(2, 4, 5)), ValueError,
     r"to match num_features \(3\), but got: 4"),
    (lambda: F.instance_norm(Z(2, 3)), ValueError, "at least one position dimension"),
    (lambda: F.instance_norm(Z(2, 3, 4), Z(4), Z(4)), RuntimeError,
     r"expected running_mean of shape \[3\]"),
    # sequences
    (lambda: ember.nn.LSTM(3, 2)(P), RuntimeError, "input_size. Expected 3, got 2"),
    (lambda: R.pad_packed_sequence(P, total_length=2), ValueError,
     r"total_length to be at least the length of the longest sequence \(3\)"),
    (lambda: R.pad_sequence([]), RuntimeError, "empty list of sequences"),
    (lambda: R.pad_sequence([Z(2)], padding_side="up"), ValueError,
     "padding_side must be 'left' or 'right'"),
    (lambda: R.pad_sequence([Z(())]), TypeError, "tensors of at least one dimension"),
    # embedding bag
    (lambda: ember.nn.EmbeddingBag(4, 2, padding_idx=9), ValueError,
     r"padding_idx must be within num_embeddings \(4\)"),
    (lambda: ember.nn.EmbeddingBag(4, 2, _weight=Z(3, 2)), ValueError,
     r"shape of _weight \[3, 2\] does not match \[4, 2\]"),
    (lambda: F.embedding_bag(Z(3), Z(4, 2), ember.tensor([0])), TypeError,
     "expected integer indices"),
    (lambda: F.embedding_bag(Z(3, dtype=L), Z(4, 2)), ValueError,
     "offsets has to be a 1D Tensor but got None"),
    (lambda: F.embedding_bag(Z(3, dtype=L), Z(4, 2), ember.tensor([0, 2, 1])), ValueError,
     "offsets must be non-decreasing"),
    (lambda: F.embedding_bag(Z(3, dtype=L), Z(4, 2), ember.tensor([0]), mode="min"),
     ValueError, "mode has to be one of sum, mean or max"),
    (lambda: F.embedding_bag(Z(3, dtype=L), Z(4, 2), ember.tensor([0]), mode="max",
                             sparse=True),
     ValueError, "max mode does not support sparse weights"),
    # fold / unfold
    (lambda: F.unfold(Z(1, 1, 4, 4), (1, 2, 3)), ValueError,
     "expected kernel_size to be an int or a pair"),
    (lambda: F.unfold(Z(1, 1, 4, 4), 2, stride=0), ValueError,
     "kernel_size, dilation and stride must be positive"),
    (lambda: F.unfold(Z(4, 4), 2), RuntimeError, "3-D .C, H, W. or 4-D"),
    (lambda: F.fold(Z(4), (3, 3), 2), RuntimeError, "2-D .C \\* kh \\* kw, L. or 3-D"),
    # spatial transformers
    (lambda: F.affine_grid(Z(1, 3, 3), (1, 1, 2, 2)), ValueError,
     r"expected theta of shape \(N, 2, 3\)"),
    (lambda: F.affine_grid(Z(1, 2, 3, dtype=L), (1, 1, 2, 2)), ValueError,
     "theta to have floating point type"),
    (lambda: F.grid_sample(Z(1, 1, 2, 2), Z(1, 2, 2, 2), padding_mode="wrap"), ValueError,
     "padding_mode must be 'zeros', 'border' or 'reflection'"),
    (lambda: F.grid_sample(Z(1, 1, 2, 2), Z(1, 2, 2, 3)), ValueError,
     r"expected input \(N, C, H, W\) and grid \(N, H_out, W_out, 2\)"),
    # losses
    (lambda: F.gaussian_nll_loss(Z(3, 2), Z(3, 2), -1.0), ValueError,
     "var has negative entry"),
    (lambda: F.multilabel_soft_margin_loss(Z(()), Z(())), ValueError,
     "an input with a class dimension"),
    (lambda: F.cosine_embedding_loss(Z(3, 2), Z(3, 4), Z(3)), RuntimeError,
     "input1 and input2 should have the same shape"),
    (lambda: F.cosine_embedding_loss(Z(3, 2), Z(3, 2), Z(3, 1)), RuntimeError,
     "a target of one dimension fewer"),
    (lambda: F.multi_margin_loss(Z(2, 3, 4), Z(2, dtype=L)), ValueError,
     r"expected a 1-D \(C\) or 2-D \(N, C\) input"),
    (lambda: F.multilabel_margin_loss(Z(2, 3), Z(2, 2, dtype=L)), ValueError,
     "a target of its shape"),
    (lambda: F.multilabel_margin_loss(Z(2, 3), Z(2, 3, dtype=L) + 5), IndexError,
     r"class indices in \[0, 3\) or -1"),
    (lambda: F.triplet_margin_loss(Z(3, 2), Z(3, 2), Z(2)), RuntimeError,
     "same number of dimensions"),
    (lambda: F.triplet_margin_with_distance_loss(Z(3, 2), Z(3, 2), Z(3, 2), margin=-1),
     ValueError, "margin must be greater than 0"),
    (lambda: ember.nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2"),
    (lambda: ember.nn.TripletMarginLoss(margin=0), ValueError,
     "margin must be greater than 0"),
    (lambda: ember.nn.TripletMarginWithDistanceLoss(margin=0), ValueError,
     "margin must be greater than 0"),
    # ctc
    (lambda: F.ctc_loss(Z(5), Z(2, dtype=L), [5], [2]), ValueError,
     r"expected log_probs of shape \(T, N, C\) or \(T, C\)"),
    (lambda: F.ctc_loss(Z(5, 2, 4), Z(3, 2, dtype=L), [5, 5], [2, 2]), ValueError,
     "expected targets of 2 rows"),
    (lambda: F.ctc_loss(Z(5, 2, 4), Z(2, 2, dtype=L), [5, 5], [3, 2]), ValueError,
     "a target length exceeds the targets' width 2"),
    (lambda: F.ctc_loss(Z(5, 2, 4), Z(2, dtype=L), [5, 5], [1, 2]), ValueError,
     r"1-D concatenation of sum\(target_lengths\) = 3 labels"),
    (lambda: F.ctc_loss(Z(5, 2, 4), Z(2, 2, dtype=L), [6, 5], [2, 2]), ValueError,
     r"input lengths must be in \[0, 5\]"),
    # 3-D convolution and pools
    (lambda: F.conv_transpose3d(Z(1, 2, 2, 2, 2), Z(2, 2, 1, 1)), RuntimeError,
     r"5-D weight \(C_in, C_out / groups"),
    (lambda: F.conv_transpose3d(Z(1, 3, 2, 2, 2), Z(2, 2, 1, 1, 1)), RuntimeError,
     "expected input with 2 channels"),
    # lazy layers, weight and spectral norm, LBFGS
    (lambda: ember.nn.utils.weight_norm(ember.nn.ReLU()), AttributeError,
     "no parameter named 'weight'"),
    (lambda: ember.nn.utils.spectral_norm(ember.nn.ReLU()), AttributeError,
     "no parameter named 'weight'"),
    (lambda: ember.nn.utils.remove_spectral_norm(ember.nn.Linear(2, 2)), ValueError,
     "spectral_norm of 'weight' not found"),
    (lambda: ember.optim.LBFGS([{"params": [Z(1, requires_grad=True)]},
                                {"params": [Z(1, requires_grad=True)]}]), ValueError,
     "per-parameter options"),
    (lambda: ember.nn.utils.parameters_to_vector([]), ValueError, "at least one parameter"),
    (lambda: ember.nn.utils.vector_to_parameters(np.zeros(3), []), TypeError,
     "expected vec to be a Tensor"),
]


@pytest.mark.parametrize("call,error,match", CASES, ids=range(len(CASES)))
def test_error_names_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()
