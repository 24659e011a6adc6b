"""``python3 -m glia``: prints the run context this process would log to, as JSON."""

import json
import sys

from . import __version__
from .run import Run


def main():
    run = Run.get_context()
    json.dump({
        "glia_client": __version__,
        "online": run.online,
        "run_id": run.id,
        "experiment_name": run.experiment_name,
        "workspace": run.workspace,
        "tracking_file": run.tracking_file,
        "scratch_dir": run.scratch_dir,
        "outputs_dir": run.outputs_dir,
    }, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
