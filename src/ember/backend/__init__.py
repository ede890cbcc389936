"""Devices, dtypes and random numbers; knows nothing of autograd."""
