"""A PyTorch-style character-level RNN program (train, then sample), on torch and on Ember.

Written the way the classic char-rnn ports are: a ``string.printable``-style
alphabet with ``char_tensor`` filling ``torch.zeros(n).long()`` one index at
a time, an ``Embedding`` + ``GRU`` + ``Linear`` model stepped one character at
a time with ``encoded.view(1, batch_size, -1)``, the loss accumulated from
``loss = 0`` with ``loss += criterion(...)``, Adam and ``clip_grad_norm_``;
then a generation function under the ``@torch.no_grad()`` decorator that
primes the hidden state, scales the logits by ``temperature``, keeps the
``topk`` and draws with ``torch.multinomial(probs, 1)``. With ``top_k=1`` the
draw is deterministic, so the two frameworks can be compared character for
character.
"""

import numpy as np
import torch

import ember

ALL_CHARACTERS = "abcdefgh .\n"
N_CHARACTERS = len(ALL_CHARACTERS)
TEXT = "abc def. gha bed cafe. head fade bad cab. dab ace\n" * 2


def build(lib, hidden_size=12, n_layers=2):
    nn, F = lib.nn, lib.nn.functional

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden_size, self.n_layers = hidden_size, n_layers
            self.encoder = nn.Embedding(N_CHARACTERS, hidden_size)
            self.rnn = nn.GRU(hidden_size, hidden_size, n_layers)
            self.decoder = nn.Linear(hidden_size, N_CHARACTERS)

        def forward(self, input, hidden):
            batch_size = input.size(0)
            encoded = self.encoder(input)
            output, hidden = self.rnn(encoded.view(1, batch_size, -1), hidden)
            output = self.decoder(output.view(batch_size, -1))
            return output, hidden

        def init_hidden(self, batch_size):
            weight = self.decoder.weight
            return lib.zeros(self.n_layers, batch_size, self.hidden_size, dtype=weight.dtype)

    def char_tensor(string):
        tensor = lib.zeros(len(string)).long()
        for c in range(len(string)):
            tensor[c] = ALL_CHARACTERS.index(string[c])
        return tensor

    @lib.no_grad()
    def generate(decoder, prime_str="a", predict_len=30, temperature=0.8, top_k=None):
        hidden = decoder.init_hidden(1)
        prime_input = char_tensor(prime_str).unsqueeze(0)
        predicted = prime_str
        for p in range(len(prime_str) - 1):  # build up the hidden state
            _, hidden = decoder(prime_input[:, p], hidden)
        inp = prime_input[:, -1]
        for _ in range(predict_len):
            output, hidden = decoder(inp, hidden)
            logits = output / temperature
            if top_k is not None:
                v, _ = logits.topk(top_k)
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            top_i = lib.multinomial(probs, 1)[0]
            predicted_char = ALL_CHARACTERS[top_i]
            predicted += predicted_char
            inp = char_tensor(predicted_char).unsqueeze(0)
        return predicted

    return CharRNN(), char_tensor, generate


def random_training_set(char_tensor, lib, rng, chunk_len, batch_size):
    inp = lib.zeros(batch_size, chunk_len).long()
    target = lib.zeros(batch_size, chunk_len).long()
    for bi in range(batch_size):
        start = int(rng.integers(0, len(TEXT) - chunk_len - 1))
        chunk = TEXT[start:start + chunk_len + 1]
        inp[bi] = char_tensor(chunk[:-1])
        target[bi] = char_tensor(chunk[1:])
    return inp, target


def train(lib, decoder, char_tensor, n_epochs=5, chunk_len=8, batch_size=4):
    rng = np.random.default_rng(0)
    decoder_optimizer = lib.optim.Adam(decoder.parameters(), lr=0.01)
    criterion = lib.nn.CrossEntropyLoss()
    losses = []
    for _ in range(n_epochs):
        inp, target = random_training_set(char_tensor, lib, rng, chunk_len, batch_size)
        hidden = decoder.init_hidden(batch_size)
        decoder.zero_grad()
        loss = 0
        for c in range(chunk_len):
            output, hidden = decoder(inp[:, c], hidden)
            loss += criterion(output.view(batch_size, -1), target[:, c])
        loss.backward()
        lib.nn.utils.clip_grad_norm_(decoder.parameters(), 5.0)
        decoder_optimizer.step()
        losses.append(loss.item() / chunk_len)
    return losses


def test_the_same_char_rnn_program_trains_and_generates_identically_on_torch_and_ember():
    torch.manual_seed(0)
    tm, t_char_tensor, t_generate = build(torch)
    em, e_char_tensor, e_generate = build(ember)
    tm, em = tm.double(), em.double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl = train(torch, tm, t_char_tensor)
    el = train(ember, em, e_char_tensor)
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)
    # top_k=1 leaves one nonzero probability: multinomial must pick it
    ours = e_generate(em, prime_str="ab", predict_len=25, temperature=0.5, top_k=1)
    ref = t_generate(tm, prime_str="ab", predict_len=25, temperature=0.5, top_k=1)
    assert ours == ref and len(ours) == 27
    assert ember.is_grad_enabled()


def test_sampling_with_temperature_on_ember():
    ember.manual_seed(0)
    model, char_tensor, generate = build(ember)
    assert char_tensor("ba.").tolist() == [1, 0, 9] and char_tensor("a").dtype == ember.int64
    text = generate(model, prime_str="abc", predict_len=40, temperature=1.5, top_k=4)
    assert text.startswith("abc") and len(text) == 43
    assert set(text) <= set(ALL_CHARACTERS)
    assert len(set(text[3:])) > 1  # a random draw, not a constant stream
    ember.manual_seed(1)
    again = generate(model, prime_str="abc", predict_len=40, temperature=1.5, top_k=4)
    ember.manual_seed(1)
    assert generate(model, prime_str="abc", predict_len=40, temperature=1.5, top_k=4) == again
