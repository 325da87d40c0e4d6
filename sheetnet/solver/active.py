"""Which part of a calculated workbook a Solver replay has to recompute.

A block is *active* when it depends on the changing cells (statically, or
through OFFSET/INDEX as recorded during the last recalculation) and the
objective depends on it.  Everything else is a constant for the whole solve.
The *schedule* is the active blocks (or single cells of them) in the order
the engine evaluated them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store import NUM


class Unsupported(Exception):
    """The objective's active formulas use something the torch replay does not model."""


@dataclass
class ActivePart:
    ids: set                      # active block ids
    mask: dict                    # sheet index -> bool grid: changing cells and active block cells
    schedule: list                # [(block id, position or -1 for the whole block)]
    objective_depends: bool       # whether the objective depends on the changing cells at all


def active_part(problem, targets=()) -> ActivePart:
    """The active part for the objective and any other cells the solve reads
    (`targets`: (sheet, row, col) of constraint cells)."""
    engine = problem.engine
    blocks = engine.blocks

    def reads(b):
        return list(b.reads) + list(engine.dynamic_reads.get(b.id, ()))

    mask = {s.index: np.zeros(s.vals.num.shape, dtype=bool) for s in engine.sheets}
    for v in problem.variables:
        a = v.area
        mask[v.sheet][a.r0:a.r1 + 1, a.c0:a.c1 + 1] = True
    depends = set()
    changed = True
    while changed:                   # dynamic reads can point "backwards" in block order
        changed = False
        for b in blocks:
            if b.id in depends or b.tree is None:
                continue
            if any(mask[t][r0:r1 + 1, c0:c1 + 1].any() for (t, r0, c0, r1, c1) in reads(b)):
                depends.add(b.id)
                rr, cc = b.footprint()
                mask[b.sheet][rr, cc] = True
                changed = True
    s, r, c = problem.objective
    owner = int(engine.sheets[s].owner[r, c])
    needed = set()
    stack = [int(engine.sheets[t].owner[tr, tc]) for t, tr, tc in [(s, r, c), *targets]
             if tr < engine.sheets[t].owner.shape[0] and tc < engine.sheets[t].owner.shape[1]]
    stack = [i for i in stack if i >= 0]
    while stack:
        bid = stack.pop()
        if bid in needed:
            continue
        needed.add(bid)
        for (t, r0, c0, r1, c1) in reads(blocks[bid]):
            ids = np.unique(engine.sheets[t].owner[r0:r1 + 1, c0:c1 + 1])
            stack.extend(int(i) for i in ids if i >= 0 and int(i) not in needed)
    ids = depends & needed
    seen = set()
    schedule = []
    for bid, pos in engine.eval_log:
        if bid in ids and (bid, pos) not in seen:
            seen.add((bid, pos))
            schedule.append((bid, pos))
    names = [x.name for x in engine.sheets]
    for bid in ids:
        b = blocks[bid]
        rr, cc = b.footprint()
        kinds = engine.sheets[b.sheet].vals.kind[rr, cc]
        if (kinds != NUM).any():
            raise Unsupported(f"cell {b.where(names)}'s formula gives non-numbers on the way to the objective")
    return ActivePart(ids, mask, schedule, owner in depends)
