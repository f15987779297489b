"""The ``eks-config-secrets`` component provider plugin: what the Pulumi CLI runs (``python provider <engine>``)
for a program in another language that uses the package. Everything it serves is in :mod:`components.package`."""

import sys
from pathlib import Path

# The plugin directory is provider/; the components package is its sibling in the repository.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.package import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
