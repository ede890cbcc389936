"""``python -m ember`` runs the ``ember`` command."""

import sys

from ember.cli import main

sys.exit(main())
