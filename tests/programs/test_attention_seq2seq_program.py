"""A PyTorch-style GRU encoder-decoder with additive attention, on torch and on Ember.

Written the way the well-known seq2seq tutorials are: a bidirectional GRU
encoder whose last states are joined with ``torch.cat((hidden[-2, :, :],
hidden[-1, :, :]), dim=1)`` and squashed by ``torch.tanh(self.fc(...))``;
Bahdanau attention with ``hidden.unsqueeze(1).repeat(1, src_len, 1)``,
``encoder_outputs.permute(1, 0, 2)``, ``torch.tanh(self.attn(torch.cat(...,
dim=2)))``, ``masked_fill(mask == 0, -1e10)`` and ``F.softmax(..., dim=1)``;
a decoder joining ``torch.bmm(a, encoder_outputs)`` with the embedded input;
teacher forcing decided by ``random.random() < teacher_forcing_ratio`` into
``outputs = torch.zeros(trg_len, batch_size, trg_vocab_size)`` with
``outputs[t] = output`` and ``output.argmax(1)``; weights initialised by
``nn.init.normal_`` / ``constant_`` over ``named_parameters()`` by name;
``CrossEntropyLoss(ignore_index=TRG_PAD_IDX)`` on
``output[1:].view(-1, output_dim)``, ``clip_grad_norm_`` and Adam. A seeded
``random.Random`` makes the same teacher-forcing choices on both sides.
"""

import random

import numpy as np
import torch

import ember

SRC_VOCAB, TRG_VOCAB, PAD_IDX, SOS_IDX, EOS_IDX = 12, 10, 1, 2, 3
EMB, ENC_HID, DEC_HID = 6, 5, 7


def build(lib):
    nn, F = lib.nn, lib.nn.functional

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(SRC_VOCAB, EMB)
            self.rnn = nn.GRU(EMB, ENC_HID, bidirectional=True)
            self.fc = nn.Linear(ENC_HID * 2, DEC_HID)
            self.dropout = nn.Dropout(0.0)

        def forward(self, src, src_len):
            embedded = self.dropout(self.embedding(src))
            packed = nn.utils.rnn.pack_padded_sequence(embedded, src_len.to("cpu"))
            packed_outputs, hidden = self.rnn(packed)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(packed_outputs)
            hidden = lib.tanh(self.fc(lib.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
            return outputs, hidden

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.Linear((ENC_HID * 2) + DEC_HID, DEC_HID)
            self.v = nn.Linear(DEC_HID, 1, bias=False)

        def forward(self, hidden, encoder_outputs, mask):
            src_len = encoder_outputs.shape[0]
            hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)
            encoder_outputs = encoder_outputs.permute(1, 0, 2)
            energy = lib.tanh(self.attn(lib.cat((hidden, encoder_outputs), dim=2)))
            attention = self.v(energy).squeeze(2)  # [batch size, src len]
            attention = attention.masked_fill(mask == 0, -1e10)
            return F.softmax(attention, dim=1)

    class Decoder(nn.Module):
        def __init__(self, attention):
            super().__init__()
            self.output_dim = TRG_VOCAB
            self.attention = attention
            self.embedding = nn.Embedding(TRG_VOCAB, EMB)
            self.rnn = nn.GRU((ENC_HID * 2) + EMB, DEC_HID)
            self.fc_out = nn.Linear((ENC_HID * 2) + DEC_HID + EMB, TRG_VOCAB)
            self.dropout = nn.Dropout(0.0)

        def forward(self, input, hidden, encoder_outputs, mask):
            input = input.unsqueeze(0)
            embedded = self.dropout(self.embedding(input))
            a = self.attention(hidden, encoder_outputs, mask).unsqueeze(1)
            encoder_outputs = encoder_outputs.permute(1, 0, 2)
            weighted = lib.bmm(a, encoder_outputs).permute(1, 0, 2)
            rnn_input = lib.cat((embedded, weighted), dim=2)
            output, hidden = self.rnn(rnn_input, hidden.unsqueeze(0))
            assert (output == hidden).all()
            embedded, output, weighted = embedded.squeeze(0), output.squeeze(0), \
                weighted.squeeze(0)
            prediction = self.fc_out(lib.cat((output, weighted, embedded), dim=1))
            return prediction, hidden.squeeze(0), a.squeeze(1)

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, src_pad_idx):
            super().__init__()
            self.encoder, self.decoder, self.src_pad_idx = encoder, decoder, src_pad_idx

        def create_mask(self, src):
            return (src != self.src_pad_idx).permute(1, 0)

        def forward(self, src, src_len, trg, coin, teacher_forcing_ratio=0.5):
            batch_size, trg_len = src.shape[1], trg.shape[0]
            trg_vocab_size = self.decoder.output_dim
            outputs = lib.zeros(trg_len, batch_size, trg_vocab_size, dtype=self.dtype())
            encoder_outputs, hidden = self.encoder(src, src_len)
            input = trg[0, :]  # the <sos> tokens
            mask = self.create_mask(src)
            for t in range(1, trg_len):
                output, hidden, _ = self.decoder(input, hidden, encoder_outputs, mask)
                outputs[t] = output
                teacher_force = coin.random() < teacher_forcing_ratio
                top1 = output.argmax(1)
                input = trg[t] if teacher_force else top1
            return outputs

        def dtype(self):
            return next(self.parameters()).dtype

    def init_weights(m):
        for name, param in m.named_parameters():
            if "weight" in name:
                nn.init.normal_(param.data, mean=0, std=0.3)
            else:
                nn.init.constant_(param.data, 0)

    model = Seq2Seq(Encoder(), Decoder(Attention()), PAD_IDX)
    model.apply(init_weights)
    return model


def train(lib, model, iterator, epochs=3, clip=1.0):
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    criterion = lib.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    coin = random.Random(0)
    losses = []
    for _ in range(epochs):
        model.train()
        for src, src_len, trg in iterator:
            optimizer.zero_grad()
            output = model(src, src_len, trg, coin)
            output_dim = output.shape[-1]
            output = output[1:].view(-1, output_dim)  # the first step is left out
            loss = criterion(output, trg[1:].view(-1))
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
    return losses


def batches(lib, n, seed):
    """Source batches sorted by length (packing needs it), sequence-first, padded."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        src_len = np.sort(r.integers(2, 7, 4))[::-1].copy()
        src = np.full((src_len[0] + 2, 4), PAD_IDX)
        trg = np.full((7, 4), PAD_IDX)
        for b in range(4):
            src[:src_len[b] + 2, b] = [SOS_IDX, *r.integers(4, SRC_VOCAB, src_len[b]), EOS_IDX]
            m = r.integers(2, 6)
            trg[:m + 2, b] = [SOS_IDX, *r.integers(4, TRG_VOCAB, m), EOS_IDX]
        out.append((lib.tensor(src), lib.tensor(src_len + 2), lib.tensor(trg)))
    return out


def test_the_same_attention_seq2seq_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm = build(torch).double()
    em = build(ember).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl = train(torch, tm, batches(torch, 3, 0))
    el = train(ember, em, batches(ember, 3, 0))
    assert len(el) == len(tl) == 9
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)


def test_init_by_parameter_name_on_ember():
    ember.manual_seed(0)
    model = build(ember)
    biases = [p for n, p in model.named_parameters() if "bias" in n]
    assert biases and all(not p.detach().numpy().any() for p in biases)
    w = model.decoder.fc_out.weight
    assert abs(float(w.std()) - 0.3) < 0.06
