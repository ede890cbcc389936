"""A PyTorch-style BERT masked-language-model pretraining program, on torch and on Ember.

Written the way BERT pretraining scripts are: word + position + token-type
embeddings summed and layer-normed, ``position_ids`` kept as a buffer built
from ``torch.arange(...).expand((1, -1))``, a stack of
``nn.TransformerEncoderLayer(batch_first=True, norm_first=True,
activation="gelu")`` fed ``src_key_padding_mask=attention_mask == 0``, an MLM
head whose decoder weight is tied to the word embeddings, the masking
collator (15% of the real tokens chosen with
``torch.bernoulli(torch.full(shape, 0.15)).bool()``, 80% of those replaced by
``[MASK]`` through ``masked_fill``, 10% by random tokens, labels ``-100``
elsewhere), ``CrossEntropyLoss`` ignoring ``-100``, AdamW over the usual two
parameter groups (no decay for biases and LayerNorm weights), a linear
warmup/decay ``LambdaLR`` and ``clip_grad_norm_``. The ``bernoulli`` and random
token draws are injected so that both frameworks see the same masks.
"""

import numpy as np
import pytest
import torch

import ember

VOCAB, HIDDEN, HEADS, FFN, LAYERS, MAX_POS = 23, 16, 2, 32, 2, 16
PAD, CLS, SEP, MASK = 0, 1, 2, 3


def build(lib):
    nn, F = lib.nn, lib.nn.functional

    class BertEmbeddings(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embeddings = nn.Embedding(VOCAB, HIDDEN, padding_idx=PAD)
            self.position_embeddings = nn.Embedding(MAX_POS, HIDDEN)
            self.token_type_embeddings = nn.Embedding(2, HIDDEN)
            self.LayerNorm = nn.LayerNorm(HIDDEN, eps=1e-12)
            self.dropout = nn.Dropout(0.0)
            self.register_buffer("position_ids", lib.arange(MAX_POS).expand((1, -1)),
                                 persistent=False)

        def forward(self, input_ids, token_type_ids=None):
            seq_length = input_ids.size(1)
            position_ids = self.position_ids[:, :seq_length]
            if token_type_ids is None:
                token_type_ids = lib.zeros_like(input_ids)
            embeddings = (self.word_embeddings(input_ids)
                          + self.position_embeddings(position_ids)
                          + self.token_type_embeddings(token_type_ids))
            return self.dropout(self.LayerNorm(embeddings))

    class BertForMaskedLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = BertEmbeddings()
            layer = nn.TransformerEncoderLayer(HIDDEN, HEADS, FFN, dropout=0.0,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.final_norm = nn.LayerNorm(HIDDEN)  # pre-LN stacks end with a norm
            self.transform = nn.Linear(HIDDEN, HIDDEN)
            self.transform_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
            self.decoder = nn.Linear(HIDDEN, VOCAB, bias=False)
            self.bias = nn.Parameter(lib.zeros(VOCAB))
            self.decoder.weight = self.embeddings.word_embeddings.weight  # tied
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if module.padding_idx is not None:
                    module.weight.data[module.padding_idx].zero_()

        def forward(self, input_ids, attention_mask, token_type_ids=None, labels=None):
            x = self.embeddings(input_ids, token_type_ids)
            x = self.final_norm(self.encoder(x, src_key_padding_mask=attention_mask == 0))
            h = self.transform_norm(F.gelu(self.transform(x)))
            prediction_scores = self.decoder(h) + self.bias
            loss = None
            if labels is not None:
                loss_fct = nn.CrossEntropyLoss()  # ignore_index=-100
                loss = loss_fct(prediction_scores.view(-1, VOCAB), labels.view(-1))
            return loss, prediction_scores

    return BertForMaskedLM()


def mask_tokens(lib, inputs, attention_mask, bernoulli, randint, mlm_probability=0.15):
    """BERT's masking: 15% chosen, of those 80% -> [MASK], 10% -> random, 10% kept."""
    labels = inputs.clone()
    probability_matrix = lib.full(labels.shape, mlm_probability)
    special_tokens_mask = (inputs == CLS) | (inputs == SEP) | (attention_mask == 0)
    probability_matrix.masked_fill_(special_tokens_mask, value=0.0)
    masked_indices = bernoulli(probability_matrix).bool()
    labels[~masked_indices] = -100  # loss only on masked tokens
    indices_replaced = bernoulli(lib.full(labels.shape, 0.8)).bool() & masked_indices
    inputs = inputs.masked_fill(indices_replaced, MASK)
    indices_random = (bernoulli(lib.full(labels.shape, 0.5)).bool() & masked_indices
                      & ~indices_replaced)
    random_words = randint(labels.shape)
    inputs[indices_random] = random_words[indices_random]
    return inputs, labels


class FixedDraws:
    """Stands in for the collator's draws: the same numbers for both frameworks."""

    def __init__(self, lib, seed=0):
        self.lib, self.rng = lib, np.random.default_rng(seed)

    def bernoulli(self, p):
        draw = self.rng.uniform(size=tuple(p.shape)) < p.numpy()
        return self.lib.tensor(draw.astype(np.float64), dtype=p.dtype)

    def randint(self, shape):
        return self.lib.tensor(self.rng.integers(4, VOCAB, tuple(shape)))


def get_linear_schedule_with_warmup(lib, optimizer, num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step)
                   / float(max(1, num_training_steps - num_warmup_steps)))

    return lib.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)


def pretrain(lib, model, batches, draws, epochs=2):
    no_decay = ["bias", "LayerNorm.weight", "norm"]
    optimizer_grouped_parameters = [
        {"params": [p for n, p in model.named_parameters()
                    if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters()
                    if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = lib.optim.AdamW(optimizer_grouped_parameters, lr=5e-3, eps=1e-6)
    total = epochs * len(batches)
    scheduler = get_linear_schedule_with_warmup(lib, optimizer, 2, total)
    losses, lrs, masked = [], [], []
    model.train()
    for _ in range(epochs):
        for input_ids, attention_mask, token_type_ids in batches:
            inputs, labels = mask_tokens(lib, input_ids, attention_mask, draws.bernoulli,
                                         draws.randint)
            masked.append(inputs.tolist())
            loss, _ = model(inputs, attention_mask, token_type_ids, labels=labels)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            model.zero_grad()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
    return losses, lrs, masked


def make_batches(lib, seed=0):
    """[CLS] a [SEP] b [SEP] pairs, right-padded, with token types and attention masks."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        ids, att, tt = np.full((4, 12), PAD), np.zeros((4, 12), int), np.zeros((4, 12), int)
        for row in range(4):
            a, b = r.integers(4, VOCAB, r.integers(2, 5)), r.integers(4, VOCAB, r.integers(1, 4))
            seq = [CLS, *a, SEP, *b, SEP]
            ids[row, :len(seq)] = seq
            att[row, :len(seq)] = 1
            tt[row, len(a) + 2:len(seq)] = 1
        out.append((lib.tensor(ids), lib.tensor(att), lib.tensor(tt)))
    return out


def test_the_same_bert_mlm_program_pretrains_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm = build(torch).double()
    em = build(ember).double()
    assert em.decoder.weight is em.embeddings.word_embeddings.weight
    assert list(em.state_dict()) == list(tm.state_dict())  # position_ids not persistent
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert em.decoder.weight is em.embeddings.word_embeddings.weight  # still tied
    tl, tlr, tmask = pretrain(torch, tm, make_batches(torch), FixedDraws(torch))
    el, elr, emask = pretrain(ember, em, make_batches(ember), FixedDraws(ember))
    assert emask == tmask
    assert any(MASK in row for batch in emask for row in batch)
    np.testing.assert_allclose(elr, tlr, rtol=1e-12)
    assert len(el) == len(tl) == 6
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        # atol: the key bias has zero gradient in exact arithmetic (softmax
        # ignores a shift shared by all keys); AdamW scales its rounding noise.
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-8, err_msg=name)


def test_padding_does_not_change_real_token_scores():
    """A padded sequence scores its real tokens as the same sequence unpadded."""
    ember.manual_seed(0)
    model = build(ember).double().eval()
    ids = ember.tensor([[CLS, 5, 6, 7, SEP, PAD, PAD]])
    with ember.no_grad():
        _, padded = model(ids, (ids != PAD).long())
        _, short = model(ids[:, :5], ember.ones(1, 5, dtype=ember.long))
    np.testing.assert_allclose(padded[:, :5].numpy(), short.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_the_collators_own_bernoulli_draw(lib):
    lib.manual_seed(0)
    draw = lib.bernoulli
    chosen = lib.bernoulli(lib.full((200, 100), 0.15)).bool()
    assert chosen.dtype == lib.bool and tuple(chosen.shape) == (200, 100)
    assert abs(chosen.float().mean().item() - 0.15) < 0.01
    ids = lib.randint(4, VOCAB, (4, 10))
    att = lib.ones(4, 10, dtype=lib.long)
    att[:, 8:] = 0
    ids[:, 0], ids[:, 7] = CLS, SEP
    inputs, labels = mask_tokens(lib, ids, att, draw, lambda s: lib.randint(4, VOCAB, s))
    assert (labels[:, 0] == -100).all() and (labels[:, 7:] == -100).all()
    kept = labels != -100
    assert (labels[kept] == ids[kept]).all()
    assert (inputs[~kept] == ids[~kept]).all()
