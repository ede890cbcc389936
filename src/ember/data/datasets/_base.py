"""What the image-dataset readers share: transforms applied to (image, target) pairs."""

from ember.data.dataset import Dataset


class VisionDataset(Dataset):
    """Holds ``data`` (N images) and ``targets``; applies ``transform`` / ``target_transform``."""

    def __init__(self, root, transform=None, target_transform=None):
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)


def refuse_download(download, name):
    if download:
        raise RuntimeError(f"{name}: download=True is not supported (Ember never downloads); "
                           "place the files under root yourself")
