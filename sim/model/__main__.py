"""``python -m sim.model build`` compiles the model; ``status`` says which model runs.

See :mod:`sim.model.native`.
"""

import sys

from sim.model.native import main

sys.exit(main(sys.argv[1:]))
