"""Writes docs/examples/technology-counts.csv: a synthetic table of patent-like counts.

Not real data. 24 regions (Flanders and 23 made-up ones) and 13 technologies in three
families (digital, bio, manufacturing). Each region has one overall capability level
and a leaning towards each family; each technology asks for a capability level. A
region above the level of a technology (level plus its leaning) is active in it and
files many patents, others file about one. Demanding technologies are therefore done by
few, capable regions, which is the nested pattern complexity measures read, and the
families make some technologies related to each other.

Run: python docs/examples/make_technology_counts.py [SEED] [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# (label, family, level a region needs to be active in it)
TECHNOLOGIES = [
    ("Semiconductors", "digital", 0.85),
    ("Microelectronics", "digital", 0.7),
    ("Photonics", "digital", 0.75),
    ("Artificial Intelligence", "digital", 0.55),
    ("Cybersecurity", "digital", 0.35),
    ("Biotechnology", "bio", 0.7),
    ("Pharmaceuticals", "bio", 0.55),
    ("Bioinformatics", "bio", 0.8),
    ("Medical Devices", "bio", 0.4),
    ("Robotics", "manufacturing", 0.6),
    ("Wind Energy", "manufacturing", 0.3),
    ("Food Technology", "manufacturing", 0.15),
    ("Battery Chemistry", "manufacturing", 0.65),
]
FAMILIES = ["digital", "bio", "manufacturing"]


def counts(seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    regions = ["Flanders"] + [f"Region {chr(65 + i)}" for i in range(23)]
    level = rng.random(len(regions))
    leaning = rng.normal(0, 0.15, (len(regions), len(FAMILIES)))
    size = rng.gamma(3, 1, len(regions))
    # Flanders is set by hand: fairly capable overall, leaning to bio, mid-sized.
    level[0], leaning[0], size[0] = 0.72, [-0.05, 0.2, 0.0], 3
    table = np.zeros((len(regions), len(TECHNOLOGIES)), dtype=int)
    for column, (_, family, demand) in enumerate(TECHNOLOGIES):
        capability = level + leaning[:, FAMILIES.index(family)]
        expected = size * np.where(capability > demand, 12 + 30 * (capability - demand), 1.0)
        table[:, column] = rng.poisson(expected)
    return regions, table


def main() -> None:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("technology-counts.csv")
    regions, table = counts(seed)
    lines = ["region," + ",".join(label for label, _, _ in TECHNOLOGIES)]
    lines += [region + "," + ",".join(str(v) for v in row) for region, row in zip(regions, table, strict=True)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
