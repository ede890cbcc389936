"""PyTorch-style Transformer programs, run unchanged on torch and on Ember.

Two programs written the way the PyTorch tutorials write them:

* a language model over ``nn.TransformerEncoder`` (sequence-first layout):
  ``PositionalEncoding`` with ``register_buffer("pe", pe)``,
  ``torch.arange(max_len).unsqueeze(1)``, the ``div_term`` exponent and
  ``pe[:, 0, 0::2] = torch.sin(position * div_term)``, the causal mask from
  ``torch.triu(torch.ones(sz, sz) * float("-inf"), diagonal=1)``, uniform init
  through ``.data``, ``CrossEntropyLoss(label_smoothing=...)``,
  ``clip_grad_norm_``, SGD stepped by ``StepLR`` and perplexity from
  ``math.exp``; then greedy continuation with ``torch.cat([ys, next_word], 1)``;
* a seq2seq translator over ``nn.Transformer(batch_first=True)``: token
  embeddings scaled by ``math.sqrt(emb_size)``, the older ``masked_fill`` mask,
  padding masks from ``src == PAD_IDX``, ``xavier_uniform_`` on every matrix,
  ``CrossEntropyLoss(ignore_index=PAD_IDX)``, Adam with ``eps=1e-9``, and
  greedy decoding through ``model.encode`` / ``model.decode`` with
  ``torch.ones(1, 1).fill_(BOS_IDX).type(torch.long)`` and ``type_as``.

The framework module is each program's only import; the tests check that the
two frameworks train (and decode) identically from the same weights.
"""

import math

import numpy as np
import torch

import ember

UNK_IDX, PAD_IDX, BOS_IDX, EOS_IDX = 0, 1, 2, 3


def positional_encoding(lib, d_model, dropout, max_len, batch_first):
    nn = lib.nn

    class PositionalEncoding(nn.Module):
        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            position = lib.arange(max_len).unsqueeze(1)
            div_term = lib.exp(lib.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            if batch_first:
                pe = lib.zeros(1, max_len, d_model)
                pe[0, :, 0::2] = lib.sin(position * div_term)
                pe[0, :, 1::2] = lib.cos(position * div_term)
            else:
                pe = lib.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = lib.sin(position * div_term)
                pe[:, 0, 1::2] = lib.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + (self.pe[:, :x.size(1)] if batch_first else self.pe[:x.size(0)])
            return self.dropout(x)

    return PositionalEncoding()


# ---------------------------------------------------------------- language model

def build_lm(lib, ntoken=17, d_model=16, nhead=2, d_hid=32, nlayers=2, dropout=0.0):
    nn = lib.nn

    class TransformerModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.model_type = "Transformer"
            self.pos_encoder = positional_encoding(lib, d_model, dropout, 64, False)
            encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
            self.embedding = nn.Embedding(ntoken, d_model)
            self.d_model = d_model
            self.linear = nn.Linear(d_model, ntoken)
            self.init_weights()

        def init_weights(self):
            initrange = 0.1
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.linear.bias.data.zero_()
            self.linear.weight.data.uniform_(-initrange, initrange)

        def forward(self, src, src_mask=None):
            src = self.embedding(src) * math.sqrt(self.d_model)
            src = self.pos_encoder(src)
            if src_mask is None:
                src_mask = generate_square_subsequent_mask(lib, len(src)).to(src.dtype)
            output = self.transformer_encoder(src, src_mask)
            return self.linear(output)

    return TransformerModel()


def generate_square_subsequent_mask(lib, sz):
    """Float mask: -inf above the diagonal, 0 elsewhere."""
    return lib.triu(lib.ones(sz, sz) * float("-inf"), diagonal=1)


def batchify(data, bsz):
    seq_len = data.size(0) // bsz
    data = data[:seq_len * bsz]
    return data.view(bsz, seq_len).t().contiguous()  # (seq_len, bsz)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


def train_lm(lib, model, train_data, val_data, ntokens, epochs=2, bptt=6):
    criterion = lib.nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = lib.optim.SGD(model.parameters(), lr=1.0)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    history = []
    for epoch in range(epochs):
        model.train()
        losses = []
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            output = model(data)
            output_flat = output.view(-1, ntokens)
            loss = criterion(output_flat, targets)
            optimizer.zero_grad()
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
        lr = scheduler.get_last_lr()[0]
        scheduler.step()
        model.eval()
        total_loss = 0.0
        with lib.no_grad():
            for i in range(0, val_data.size(0) - 1, bptt):
                data, targets = get_batch(val_data, i, bptt)
                seq_len = data.size(0)
                output_flat = model(data).view(-1, ntokens)
                total_loss += seq_len * criterion(output_flat, targets).item()
        val_loss = total_loss / (len(val_data) - 1)
        history.append((losses, lr, val_loss, math.exp(val_loss)))
    return history


def continue_greedily(lib, model, prompt, steps):
    """Extend (seq, batch) prompts by the most likely next token, batch-first ``ys``."""
    model.eval()
    with lib.no_grad():
        ys = prompt.t()  # (batch, seq)
        for _ in range(steps):
            logits = model(ys.t())[-1]  # (batch, ntoken) at the last position
            next_word = logits.argmax(dim=-1, keepdim=True)
            ys = lib.cat([ys, next_word], dim=1)
    return ys


def test_the_same_transformer_lm_program_trains_identically_on_torch_and_ember():
    ntokens = 17
    r = np.random.default_rng(0)
    train_ids, val_ids = r.integers(0, ntokens, 75), r.integers(0, ntokens, 26)
    torch.manual_seed(0)
    tm = build_lm(torch).double()
    em = build_lm(ember).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # pe buffer included
    assert em.pos_encoder.pe.dtype == ember.float64  # .double() casts float buffers
    np.testing.assert_allclose(em.pos_encoder.pe.numpy(), tm.pos_encoder.pe.numpy(),
                               rtol=1e-6, atol=1e-6)  # built in float32 on each side
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    th = train_lm(torch, tm, batchify(torch.tensor(train_ids), 3),
                  batchify(torch.tensor(val_ids), 2), ntokens)
    eh = train_lm(ember, em, batchify(ember.tensor(train_ids), 3),
                  batchify(ember.tensor(val_ids), 2), ntokens)
    for (el, elr, ev, eppl), (tl, tlr, tv, tppl) in zip(eh, th):
        assert len(el) == len(tl) == 4
        np.testing.assert_allclose(el, tl, rtol=1e-9)
        np.testing.assert_allclose([elr, ev, eppl], [tlr, tv, tppl], rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)
    prompt = r.integers(0, ntokens, (4, 2))
    ty = continue_greedily(torch, tm, torch.tensor(prompt), 5)
    ey = continue_greedily(ember, em, ember.tensor(prompt), 5)
    assert ey.dtype == ember.int64 and ey.shape == (2, 9)
    assert ey.tolist() == ty.tolist()


# ---------------------------------------------------------------- seq2seq

def build_seq2seq(lib, src_vocab=13, tgt_vocab=11, emb_size=16, nhead=2, ffn=32,
                  n_enc=2, n_dec=2, dropout=0.0):
    nn = lib.nn

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size, emb_size):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens):
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class Seq2SeqTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead,
                                              num_encoder_layers=n_enc,
                                              num_decoder_layers=n_dec,
                                              dim_feedforward=ffn, dropout=dropout,
                                              batch_first=True)
            self.generator = nn.Linear(emb_size, tgt_vocab)
            self.src_tok_emb = TokenEmbedding(src_vocab, emb_size)
            self.tgt_tok_emb = TokenEmbedding(tgt_vocab, emb_size)
            self.positional_encoding = positional_encoding(lib, emb_size, dropout, 32, True)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                    memory_key_padding_mask):
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                    src_padding_mask, tgt_padding_mask,
                                    memory_key_padding_mask)
            return self.generator(outs)

        def encode(self, src, src_mask):
            return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)),
                                            src_mask)

        def decode(self, tgt, memory, tgt_mask):
            return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)),
                                            memory, tgt_mask)

    model = Seq2SeqTransformer()
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    return model


def old_square_subsequent_mask(lib, sz):
    """The older tutorial form: 0 on and below the diagonal, -inf above."""
    mask = (lib.triu(lib.ones((sz, sz))) == 1).transpose(0, 1)
    return mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))


def create_mask(lib, src, tgt):
    src_seq_len, tgt_seq_len = src.shape[1], tgt.shape[1]
    tgt_mask = old_square_subsequent_mask(lib, tgt_seq_len) == float("-inf")  # True: blocked
    src_mask = lib.zeros((src_seq_len, src_seq_len)).type(lib.bool)
    src_padding_mask = src == PAD_IDX
    tgt_padding_mask = tgt == PAD_IDX
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def train_seq2seq(lib, model, batches, epochs=2):
    loss_fn = lib.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optimizer = lib.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
    losses = []
    for _ in range(epochs):
        model.train()
        for src, tgt in batches:
            tgt_input = tgt[:, :-1]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = \
                create_mask(lib, src, tgt_input)
            logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask,
                           tgt_padding_mask, src_padding_mask)
            optimizer.zero_grad()
            tgt_out = tgt[:, 1:]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def greedy_decode(lib, model, src, src_mask, max_len, start_symbol):
    memory = model.encode(src, src_mask)
    ys = lib.ones(1, 1).fill_(start_symbol).type(lib.long)
    for _ in range(max_len - 1):
        # -inf -> True (blocked), 0 -> False: a bool mask with the same meaning
        tgt_mask = old_square_subsequent_mask(lib, ys.size(1)).type(lib.bool)
        out = model.decode(ys, memory, tgt_mask)
        prob = model.generator(out[:, -1])
        _, next_word = lib.max(prob, dim=1)
        next_word = next_word.item()
        ys = lib.cat([ys, lib.ones(1, 1).type_as(src.data).fill_(next_word)], dim=1)
        if next_word == EOS_IDX:
            break
    return ys


def translate(lib, model, src_tokens):
    model.eval()
    src = lib.tensor(src_tokens).view(1, -1)
    num_tokens = src.shape[1]
    src_mask = lib.zeros(num_tokens, num_tokens).type(lib.bool)
    with lib.no_grad():
        return greedy_decode(lib, model, src, src_mask, max_len=num_tokens + 5,
                             start_symbol=BOS_IDX).flatten().tolist()


def seq2seq_batches(lib, seed=0):
    """Sentences framed by BOS/EOS, right-padded with PAD_IDX, batch first."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        src, tgt = np.full((4, 9), PAD_IDX), np.full((4, 8), PAD_IDX)
        for row in range(4):
            n = r.integers(3, 8)
            src[row, :n + 2] = [BOS_IDX, *r.integers(4, 13, n), EOS_IDX]
            m = r.integers(2, 7)
            tgt[row, :m + 2] = [BOS_IDX, *r.integers(4, 11, m), EOS_IDX]
        out.append((lib.tensor(src), lib.tensor(tgt)))
    return out


def test_the_same_seq2seq_transformer_program_trains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm = build_seq2seq(torch).double()
    em = build_seq2seq(ember).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl = train_seq2seq(torch, tm, seq2seq_batches(torch))
    el = train_seq2seq(ember, em, seq2seq_batches(ember))
    assert len(el) == len(tl) == 6
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        # atol 1e-9: the key part of in_proj_bias has a zero gradient in exact
        # arithmetic (softmax ignores a shift shared by all keys), so its
        # entries are rounding noise that Adam (eps=1e-9) scales up to ~1e-10.
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-9, err_msg=name)
    sentence = [BOS_IDX, 5, 9, 7, 11, EOS_IDX]
    assert translate(ember, em, sentence) == translate(torch, tm, sentence)


def test_mask_idioms_match_torch():
    for lib in (torch, ember):
        lib.manual_seed(0)
    for sz in (1, 4):
        tm, em = old_square_subsequent_mask(torch, sz), old_square_subsequent_mask(ember, sz)
        assert em.dtype == ember.float32
        np.testing.assert_array_equal(em.numpy(), tm.numpy())
        np.testing.assert_array_equal(generate_square_subsequent_mask(ember, sz).numpy(),
                                      generate_square_subsequent_mask(torch, sz).numpy())
        np.testing.assert_array_equal(
            ember.nn.Transformer.generate_square_subsequent_mask(sz).numpy(),
            torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())
    t = torch.ones(1, 1).fill_(BOS_IDX).type(torch.long)
    e = ember.ones(1, 1).fill_(BOS_IDX).type(ember.long)
    assert e.dtype == ember.int64 and e.tolist() == t.tolist()
    src = ember.tensor([[4, 5]])
    assert ember.ones(1, 1).type_as(src.data).fill_(7).dtype == ember.int64


def test_eval_encoder_with_padding_matches_torch_at_real_tokens():
    """Inference as scripts run it (eval, no_grad, key padding mask, batch first).

    PyTorch's nested-tensor fast path writes 0 at padded positions; Ember
    computes them as in training (documented in ember.nn.modules.transformer),
    so only the real tokens are compared.
    """
    torch.manual_seed(0)
    tm = build_seq2seq(torch).double().eval()
    em = build_seq2seq(ember).double().eval()
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    (ts, _), (es, _) = seq2seq_batches(torch)[0], seq2seq_batches(ember)[0]
    with torch.no_grad():
        tmem = tm.transformer.encoder(tm.positional_encoding(tm.src_tok_emb(ts)),
                                      src_key_padding_mask=ts == PAD_IDX)
    with ember.no_grad():
        emem = em.transformer.encoder(em.positional_encoding(em.src_tok_emb(es)),
                                      src_key_padding_mask=es == PAD_IDX)
    real = ts.numpy() != PAD_IDX
    assert not real.all()
    np.testing.assert_allclose(emem.numpy()[real], tmem.numpy()[real], rtol=1e-9, atol=1e-12)
