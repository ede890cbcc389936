"""ember.data: datasets, samplers, DataLoader, collation, transforms and dataset readers.

Mirrors ``torch.utils.data`` (``Dataset``, ``DataLoader``, samplers,
``default_collate``, ``get_worker_info``, ``random_split``); image transforms
live in ``ember.data.transforms`` (``torchvision.transforms`` names) and file
readers in ``ember.data.datasets``.
"""

from ember.data.collate import default_collate, default_convert
from ember.data.dataloader import DataLoader
from ember.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                StackDataset, Subset, TensorDataset, random_split)
from ember.data.sampler import (BatchSampler, DistributedSampler, RandomSampler, Sampler,
                                SequentialSampler, SubsetRandomSampler, WeightedRandomSampler)
from ember.data.worker import WorkerInfo, get_worker_info

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "StackDataset", "random_split", "Sampler", "DistributedSampler",
           "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]
