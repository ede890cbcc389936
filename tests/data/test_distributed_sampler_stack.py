"""DistributedSampler and StackDataset against PyTorch's."""

import pytest
import torch
from torch.utils import data as tdata

import ember
from ember.utils import data as edata


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                  (2, 4, False), (11, 4, True), (0, 2, False)])
def test_unshuffled_shares_match_torch(n, replicas, drop_last):
    for rank in range(replicas):
        ours = edata.DistributedSampler(list(range(n)), num_replicas=replicas, rank=rank,
                                        shuffle=False, drop_last=drop_last)
        ref = tdata.DistributedSampler(list(range(n)), num_replicas=replicas, rank=rank,
                                       shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


def test_shuffled_shares_partition_the_keys_and_follow_the_epoch():
    shares = [list(edata.DistributedSampler(list(range(12)), num_replicas=3, rank=r, seed=5))
              for r in range(3)]
    assert sorted(sum(shares, [])) == list(range(12))
    s = edata.DistributedSampler(list(range(12)), num_replicas=3, rank=0, seed=5)
    first = list(s)
    assert list(s) == first  # same epoch, same order
    s.set_epoch(1)
    assert list(s) != first
    for sampler in (edata, tdata):
        with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                                             r"\[0, 2\]"):
            sampler.DistributedSampler(list(range(4)), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="pass num_replicas and rank"):
        edata.DistributedSampler(list(range(4)))


def test_stack_dataset_matches_torch():
    def run(lib, data):
        sd = data.StackDataset(data.TensorDataset(lib.arange(3)), lib.arange(3) * 10)
        kw = data.StackDataset(a=lib.arange(3), b=[5, 6, 7])
        batch = next(iter(data.DataLoader(sd, batch_size=2)))
        return (len(sd), [(int(x[0][0]), int(x[1])) for x in sd.__getitems__([0, 2])],
                {k: int(v) for k, v in kw[2].items()}, [t.tolist() for t in batch[0]],
                batch[1].tolist())
    assert run(ember, edata) == run(torch, tdata)
    for data, lib in ((edata, ember), (tdata, torch)):
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            data.StackDataset(lib.arange(3), lib.arange(4))
        with pytest.raises(ValueError, match="but both types are given"):
            data.StackDataset(lib.arange(3), b=lib.arange(3))


def test_stack_dataset_asks_nested_datasets_for_whole_batches_like_torch():
    def run(lib, data):
        class Batched(data.Dataset):
            calls = []

            def __len__(self):
                return 4

            def __getitem__(self, i):
                return i * 100

            def __getitems__(self, indices):
                self.calls.append(list(indices))
                return [i * 1000 for i in indices]

        nested = Batched()
        sd = data.StackDataset(nested, lib.arange(4))
        kw = data.StackDataset(a=nested, b=[5, 6, 7, 8])
        out = [(a, int(b)) for a, b in sd.__getitems__([1, 3])]
        return out, kw.__getitems__([0, 2]), nested.calls
    assert run(ember, edata) == run(torch, tdata)
