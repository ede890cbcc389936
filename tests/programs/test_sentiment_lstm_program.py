"""A PyTorch-style sentiment classifier (packed bidirectional LSTM), on torch and on Ember.

Written the way the popular sentiment-analysis tutorials are: an
``Embedding`` with ``padding_idx``, "pretrained" vectors copied in through
``model.embedding.weight.data.copy_`` and the pad/unknown rows zeroed by
``weight.data[PAD_IDX] = torch.zeros(EMBEDDING_DIM)``, a two-layer
bidirectional ``LSTM`` fed a ``pack_padded_sequence(..., lengths.to("cpu"),
enforce_sorted=False)``, the last layer's two directions joined with
``torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)``, ``Dropout``,
``BCEWithLogitsLoss`` on ``.squeeze(1)`` predictions, accuracy through
``torch.round(torch.sigmoid(preds))``, Adam, and the padded output unpacked
with ``pad_packed_sequence`` for a max-pooled variant.
"""

import numpy as np
import torch

import ember

VOCAB, EMBEDDING_DIM, HIDDEN_DIM, PAD_IDX, UNK_IDX = 20, 6, 5, 1, 0


def build(lib, pooling="last", n_layers=2, bidirectional=True, dropout=0.0):
    nn = lib.nn
    rnn_utils = lib.nn.utils.rnn

    class RNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBEDDING_DIM, padding_idx=PAD_IDX)
            self.rnn = nn.LSTM(EMBEDDING_DIM, HIDDEN_DIM, num_layers=n_layers,
                               bidirectional=bidirectional, dropout=dropout)
            self.fc = nn.Linear(HIDDEN_DIM * 2, 1)
            self.dropout = nn.Dropout(dropout)

        def forward(self, text, text_lengths):
            embedded = self.dropout(self.embedding(text))  # [sent len, batch, emb dim]
            packed_embedded = rnn_utils.pack_padded_sequence(
                embedded, text_lengths.to("cpu"), enforce_sorted=False)
            packed_output, (hidden, cell) = self.rnn(packed_embedded)
            if pooling == "last":
                # the final forward (hidden[-2]) and backward (hidden[-1]) states
                hidden = self.dropout(lib.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
            else:
                output, output_lengths = rnn_utils.pad_packed_sequence(
                    packed_output, padding_value=float("-inf"))
                hidden = output.max(dim=0).values  # [batch, hid dim * 2]
            return self.fc(hidden)

    return RNN()


def binary_accuracy(lib, preds, y):
    rounded_preds = lib.round(lib.sigmoid(preds))
    correct = (rounded_preds == y).float()
    return correct.sum() / len(correct)


def train(lib, model, iterator, optimizer, criterion):
    epoch_loss, epoch_acc = 0, 0
    model.train()
    for text, text_lengths, label in iterator:
        optimizer.zero_grad()
        predictions = model(text, text_lengths).squeeze(1)
        loss = criterion(predictions, label)
        acc = binary_accuracy(lib, predictions, label)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def evaluate(lib, model, iterator, criterion):
    epoch_loss, epoch_acc = 0, 0
    model.eval()
    with lib.no_grad():
        for text, text_lengths, label in iterator:
            predictions = model(text, text_lengths).squeeze(1)
            epoch_loss += criterion(predictions, label).item()
            epoch_acc += binary_accuracy(lib, predictions, label).item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)


def batches(lib, n, seed):
    """Unsorted variable-length sentences, sequence-first, padded with PAD_IDX."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        lengths = r.integers(1, 8, 5)
        text = np.full((lengths.max(), 5), PAD_IDX)
        for b, n_tok in enumerate(lengths):
            text[:n_tok, b] = r.integers(2, VOCAB, n_tok)
        label = (text[0] > VOCAB // 2).astype(np.float64)  # learnable from the first word
        out.append((lib.tensor(text), lib.tensor(lengths), lib.tensor(label)))
    return out


def run(lib, model, pretrained, epochs=3):
    model.embedding.weight.data.copy_(pretrained)
    model.embedding.weight.data[UNK_IDX] = lib.zeros(EMBEDDING_DIM)
    model.embedding.weight.data[PAD_IDX] = lib.zeros(EMBEDDING_DIM)
    optimizer = lib.optim.Adam(model.parameters(), lr=0.02)
    criterion = lib.nn.BCEWithLogitsLoss()
    history = []
    for _ in range(epochs):
        history.append(train(lib, model, batches(lib, 3, 0), optimizer, criterion)
                       + evaluate(lib, model, batches(lib, 2, 1), criterion))
    return history


def compare(pooling):
    torch.manual_seed(0)
    tm = build(torch, pooling).double()
    em = build(ember, pooling).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # weight_ih_l0_reverse, ...
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    pretrained = np.random.default_rng(2).standard_normal((VOCAB, EMBEDDING_DIM))
    th = run(torch, tm, torch.tensor(pretrained))
    eh = run(ember, em, ember.tensor(pretrained))
    np.testing.assert_allclose(eh, th, rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)
    # padding_idx: the pad row gets no gradient, so Adam never moves it
    assert not em.embedding.weight.detach().numpy()[PAD_IDX].any()


def test_the_same_sentiment_program_trains_identically_on_torch_and_ember():
    compare("last")


def test_max_pooled_packed_outputs_train_identically():
    compare("max")
