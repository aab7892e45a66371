"""The demo district: a generated, Liangjiang-style 渝北区 (Yubei, Chongqing, 500112).

``build_demo(engine, enterprises=20000, seed=7)`` generates the district in memory
(:mod:`app.demo.generate`, no database) and loads it with ``COPY`` (:mod:`app.demo.load`),
replacing earlier demo data. One seed always gives the same district.

pandas, shapely and the generator are imported only when a build runs, so that importing this
package (``marketmap demo build --if-empty`` on a loaded database) stays quick.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["build_demo"]  # the generator itself: app.demo.generate.generate
_STAGES = 6 + 11 + 2  # generation stages, tables copied, indexes + analyze


def build_demo(engine: Engine, *, enterprises: int = 20000, seed: int = 7, progress: bool = True) -> dict[str, int]:
    """Generate the demo district and load it into ``engine``'s database; returns rows per table."""
    from tqdm import tqdm

    from app.demo.generate import generate
    from app.demo.load import load_frames

    with tqdm(total=_STAGES, desc="demo", unit="step", file=sys.stderr, disable=not progress) as bar:
        def step(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update()

        frames = generate(enterprises, seed, step=step)
        return load_frames(engine, frames, step=step)

