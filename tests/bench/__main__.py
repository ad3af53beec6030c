"""`make bench`: every benchmark, each in its own process (they set up Django differently).

Figures are printed and written to var/bench/ (*.txt, serving.json, serving.md); the exit
status is non-zero when any benchmark misses its target.
"""

import subprocess
import sys

BENCHMARKS = ["tests.bench.comments_render", "tests.bench.edition_send", "tests.bench.serving"]


def main() -> int:
    worst = 0
    for module in BENCHMARKS:
        sys.stdout.write(f"\n== {module}\n")
        sys.stdout.flush()
        worst = max(worst, subprocess.run([sys.executable, "-m", module], check=False).returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
