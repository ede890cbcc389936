"""The plain PyTorch-style training loop the digits examples share."""

import ember


def train_one_epoch(model, loader, optimizer, loss_fn):
    """One pass over ``loader``; returns the mean training loss."""
    model.train()
    total_loss, seen = 0.0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        seen += len(labels)
    return total_loss / seen


@ember.no_grad()
def evaluate(model, loader, loss_fn):
    """Mean loss and accuracy (a fraction in [0, 1]) of ``model`` over ``loader``."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        logits = model(images)
        total_loss += loss_fn(logits, labels).item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen
