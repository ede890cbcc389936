"""The benchmark models, written once against a framework module (ember or torch).

The same source builds the Ember and the PyTorch model: the APIs match, so
``build_cnn(ember)`` and ``build_cnn(torch)`` are the same network.
"""



def build_cnn(lib):
    """C2: Conv 3->32 k3 p1, ReLU, MaxPool 2, Conv 32->64 k3 p1, ReLU, MaxPool 2,
    Linear 4096->10."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 10))


def build_gpt(lib, vocab=512, d=256, heads=4, layers=4, block=128):
    """C3: a GPT with pre-LayerNorm blocks, GELU MLPs and causal attention."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)
            self.ln_2 = nn.LayerNorm(d)
            self.fc = nn.Linear(d, 4 * d)
            self.proj = nn.Linear(4 * d, d)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q = q.view(B, T, heads, C // heads).transpose(1, 2)  # (B, nh, T, hs)
            k = k.view(B, T, heads, C // heads).transpose(1, 2)
            v = v.view(B, T, heads, C // heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.c_proj(y)
            return x + self.proj(F.gelu(self.fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(block, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx, targets):
            pos = lib.arange(idx.shape[1])
            x = self.wte(idx) + self.wpe(pos)
            for blk in self.h:
                x = blk(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    return GPT()


def build_lstm_lm(lib, vocab=512, emb=128, hidden=256, layers=2):
    """C4: embedding 128, 2-layer LSTM hidden 256, linear head to the vocabulary."""
    nn, F = lib.nn, lib.nn.functional

    class LSTMLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, emb)
            self.lstm = nn.LSTM(emb, hidden, num_layers=layers, batch_first=True)
            self.head = nn.Linear(hidden, vocab)

        def forward(self, idx, targets):
            out, _ = self.lstm(self.embed(idx))
            logits = self.head(out)
            return F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))

    return LSTMLM()


def copy_weights(src_torch, dst_ember, ember):
    """Load a torch model's weights into the same Ember model (names match)."""
    dst_ember.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                               src_torch.state_dict().items()})


def compare_training(name, build, optimizer, arrays, *, loss=None, tol=1e-3, **timing):
    """Time one training step of the same model in Ember and PyTorch.

    Both start from the same weights (copied from torch) and data; the first
    steps' losses must agree before anything is timed.

    Args:
        build: ``build(lib)`` -> the model.
        optimizer: ``optimizer(lib, params)`` -> the optimizer.
        arrays: NumPy inputs of one batch.
        loss: ``loss(lib, model, *batch)`` -> the loss; default: the model returns it.
        timing: passed to ``harness.compare``.
    """
    import torch

    import ember
    from harness import compare

    torch.manual_seed(0)
    models = {torch: build(torch), ember: build(ember)}
    copy_weights(models[torch], models[ember], ember)
    steps = {}
    for lib, model in models.items():
        opt = optimizer(lib, model.parameters())
        batch = tuple(lib.tensor(a) for a in arrays)
        forward = model if loss is None else (lambda *b, lib=lib, m=model: loss(lib, m, *b))
        steps[lib] = lambda f=forward, o=opt, b=batch: train_step(f, o, *b)
    lt, le = steps[torch]().item(), steps[ember]().item()
    assert abs(le - lt) < tol * max(1.0, abs(lt)), f"losses differ: ember {le}, torch {lt}"
    return compare(name, steps[ember], steps[torch], **timing)


def train_step(model, opt, *batch):
    """One training step: forward, backward, optimizer step; returns the loss."""
    loss = model(*batch)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


