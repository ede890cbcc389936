"""Neural-network building blocks; ``ember.nn.functional`` holds the functional ops."""

from ember.nn import functional  # noqa: F401
