"""ember.train: the Trainer, callbacks, metrics and run logging.

``Trainer(model, optimizer, loss_fn).fit(train_loader, val_loader, epochs=10)``
runs the loop; ``ember.train.metrics`` computes classification metrics;
``ember.train.callbacks`` holds early stopping, checkpointing, lr monitoring
and the progress bar. See docs/training.md.
"""

from ember.train import metrics
from ember.train.callbacks import (Callback, EarlyStopping, LRMonitor, ModelCheckpoint,
                                   ProgressBar)
from ember.train.logging import JSONLinesLogger, read_jsonl
from ember.train.metrics import (F1, Accuracy, ConfusionMatrix, F1Score, MeanLoss, Metric,
                                 Perplexity, Precision, Recall, TopKAccuracy)
from ember.train.plotting import plot_history
from ember.train.trainer import Trainer

__all__ = ["Trainer", "Callback", "EarlyStopping", "ModelCheckpoint", "LRMonitor", "ProgressBar",
           "Metric", "Accuracy", "TopKAccuracy", "Precision", "Recall", "F1Score", "F1",
           "ConfusionMatrix", "Perplexity", "MeanLoss", "metrics", "JSONLinesLogger",
           "read_jsonl", "plot_history"]
