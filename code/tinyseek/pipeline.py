"""Pipeline-parallel schedules, simulated: 1F1B, a zero-bubble variant, and DualPipe.

In pipeline parallelism the model's layers are cut into ``PP`` stages on ``PP`` GPUs ("ranks"),
and a batch is cut into micro-batches that flow through the stages: forward chunks down the
pipeline, backward chunks back up. A rank that waits for its neighbour sits idle; that idle time
is the *bubble*. DeepSeek-V3's Table 2 compares three schedules' bubbles in units of the time of
one forward chunk ``F``, one full backward chunk ``B``, the weight-gradient part of a backward
chunk ``W`` (the rest, ``B - W``, is the input gradient that the previous stage waits for), and
``F&B``, the time of one forward and one backward chunk run *together* so that one's
communication hides behind the other's computation.

The simulator here is deliberately small. What it models:

- each rank runs its operations in a fixed order (the schedule), one at a time;
- an operation starts when the rank is free and its inputs exist: a forward chunk needs the
  same micro-batch's forward on the previous stage; a backward chunk needs the same
  micro-batch's backward on the next stage (on the last stage, its own forward);
- every forward chunk takes ``F``, every full backward ``B``, an input-gradient-only backward
  ``B - W``, a weight-gradient chunk ``W``, an overlapped forward+backward pair ``F&B``; the same on
  every stage;
- sending activations between stages is instantaneous.

What it leaves out: the real duration of point-to-point transfers, memory limits, the first and
last stages' extra work (embedding, output head, loss), and any variation between chunks. The
all-to-all communication of expert parallelism enters only through the chunk times:
``chunk_times`` builds them from computation and communication times, and ``overlap`` decides
whether a paired forward and backward can hide each other's communication.

Schedules:

- ``one_f_one_b``: the classic 1F1B (warm-up forwards, then one forward / one backward).
- ``zero_bubble_1p``: 1F1B's order with each backward split in two; the input gradient runs in
  order and the weight gradients wait in a queue, filling time the rank would otherwise spend
  idle (our greedy version of the ZB1P idea, not the Zero Bubble paper's exact schedule).
- ``dualpipe``: DeepSeek's bidirectional schedule. Each rank holds two stages (stage ``r`` of a
  pipeline running from rank 0 to rank PP-1 and stage ``PP-1-r`` of one running the other way),
  half the micro-batches enter from each end, and in the steady state every slot is a forward of
  one direction overlapped with a backward of the other. The order of operations on each rank
  follows the eight phases of the schedule published in DeepSeek's DualPipe repository.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field

from . import validate

KINDS = ("F", "B", "Bi", "W", "FB")
MAX_STAGES = 64
MAX_MICROBATCHES = 512


@dataclass(frozen=True)
class ChunkTimes:
    """Durations of the operations, in any time unit (Table 2's F, B, W and F&B)."""

    forward: float           # F
    backward: float          # B, a full backward chunk (input and weight gradients)
    weight: float            # W, the weight-gradient part of B
    overlapped: float        # F&B, a forward and a backward chunk run together

    def __post_init__(self):
        validate.positive("forward", self.forward, high=1e9)
        validate.positive("backward", self.backward, high=1e9)
        validate.number("weight", self.weight, low=0.0, high=self.backward, high_open=True)
        validate.number("overlapped", self.overlapped, low=max(self.forward, self.backward),
                        high=self.forward + self.backward)

    def duration(self, kind: str) -> float:
        return {"F": self.forward, "B": self.backward, "Bi": self.backward - self.weight,
                "W": self.weight, "FB": self.overlapped}[kind]


def chunk_times(f_compute: float = 1.0, f_comm: float = 1.0, b_compute: float = 2.0,
                b_comm: float = 1.0, w_compute: float = 1.0, overlap: bool = True) -> ChunkTimes:
    """Chunk times from computation and communication (all-to-all) times.

    Without overlap a chunk takes its computation plus its communication, and a forward/backward
    pair takes the sum of both chunks. With ``overlap`` the pair runs the two streams side by
    side, so it takes ``max(f_compute + b_compute, f_comm + b_comm)``: an idealisation in which
    the interleaving is perfect. ``w_compute`` (the weight gradient) has no communication; it is
    part of ``b_compute``.
    """
    for name, val in (("f_compute", f_compute), ("b_compute", b_compute)):
        validate.positive(name, val, high=1e9)
    for name, val in (("f_comm", f_comm), ("b_comm", b_comm)):
        validate.non_negative(name, val, high=1e9)
    validate.number("w_compute", w_compute, low=0.0, high=b_compute, high_open=True)
    if not isinstance(overlap, bool):
        raise TypeError(f"overlap must be True or False, got {overlap!r}")
    f, b = f_compute + f_comm, b_compute + b_comm
    pair = max(f_compute + b_compute, f_comm + b_comm) if overlap else f + b
    return ChunkTimes(f, b, w_compute, max(pair, f, b))


@dataclass
class Op:
    """One operation on one rank. ``FB`` carries the forward's and the backward's micro-batch."""

    kind: str
    direction: int = 0
    microbatch: int = 0
    b_direction: int = 0       # FB only: the backward half
    b_microbatch: int = 0
    start: float = 0.0
    end: float = 0.0

    @property
    def label(self) -> str:
        arrow = lambda d: "" if d == 0 else "'"                       # noqa: E731
        if self.kind == "FB":
            return (f"F{self.microbatch}{arrow(self.direction)}"
                    f"+B{self.b_microbatch}{arrow(self.b_direction)}")
        return f"{self.kind}{self.microbatch}{arrow(self.direction)}"


@dataclass
class Schedule:
    """Per-rank operation orders, and how a stage index is found for a rank and a direction."""

    name: str
    stages: int
    microbatches: int
    orders: list[list[Op]]
    bidirectional: bool = False
    fill_weights: bool = False          # W ops wait in a queue and fill idle time
    activation_cap: list[int] | None = None   # with fill_weights: most micro-batches held per rank
    times: ChunkTimes | None = None
    makespan: float = 0.0
    _ran: bool = field(default=False, repr=False)

    def stage(self, rank: int, direction: int) -> int:
        return rank if direction == 0 else self.stages - 1 - rank

    def busy(self, rank: int) -> float:
        return sum(op.end - op.start for op in self.orders[rank])

    def idle(self) -> list[float]:
        """Each rank's idle time: the makespan minus the time it spends computing."""
        self._need_run()
        return [self.makespan - self.busy(r) for r in range(self.stages)]

    def bubble(self) -> float:
        """The largest idle time of any rank: the quantity of Table 2."""
        return max(self.idle())

    def peak_activations(self) -> list[int]:
        """Per rank, the most micro-batch chunks whose activations are held at once (from the
        start of a forward to the end of the backward that finishes with them, W included)."""
        self._need_run()
        peaks = []
        for ops in self.orders:
            events = []
            finished = {}
            for op in ops:
                if op.kind in ("F", "FB"):
                    events.append((op.start, 1))
                if op.kind in ("B", "W") or op.kind == "FB":
                    key = ((op.b_direction, op.b_microbatch) if op.kind == "FB"
                           else (op.direction, op.microbatch))
                    finished[key] = op.end
            events += [(t, -1) for t in finished.values()]
            live = peak = 0
            for _, step in sorted(events, key=lambda e: (e[0], e[1])):
                live += step
                peak = max(peak, live)
            peaks.append(peak)
        return peaks

    def _need_run(self):
        if not self._ran:
            raise ValueError("run the schedule first: simulate(schedule, times)")


def _check_sizes(stages: int, microbatches: int) -> None:
    validate.integer("stages", stages, low=2, high=MAX_STAGES)
    validate.integer("microbatches", microbatches, low=1, high=MAX_MICROBATCHES)


def one_f_one_b(stages: int, microbatches: int) -> Schedule:
    """1F1B: stage ``s`` runs ``stages - s - 1`` warm-up forwards, then alternates one forward and
    one backward, then drains the remaining backwards."""
    _check_sizes(stages, microbatches)
    orders = []
    for s in range(stages):
        warm = min(stages - s - 1, microbatches)
        ops = [Op("F", 0, m) for m in range(warm)]
        for m in range(warm, microbatches):
            ops += [Op("F", 0, m), Op("B", 0, m - warm)]
        ops += [Op("B", 0, m) for m in range(microbatches - warm, microbatches)]
        orders.append(ops)
    return Schedule("1F1B", stages, microbatches, orders)


def zero_bubble_1p(stages: int, microbatches: int) -> Schedule:
    """1F1B's order with input-gradient backwards; each weight gradient is queued and runs when
    the rank would otherwise wait, or before a new forward when the rank already holds as many
    micro-batches as 1F1B would (greedy ZB1P-style)."""
    sched = one_f_one_b(stages, microbatches)
    for ops in sched.orders:
        for op in ops:
            if op.kind == "B":
                op.kind = "Bi"
    sched.name, sched.fill_weights = "ZB1P (greedy)", True
    sched.activation_cap = [stages] * stages     # the most any rank holds under 1F1B
    return sched


def dualpipe(stages: int, microbatches: int) -> Schedule:
    """DualPipe's bidirectional schedule (``stages`` even, ``microbatches`` even and ≥ 2 x stages).

    On each rank, "phase 0" is the direction in which the rank sits in the first half of the
    pipeline and "phase 1" the other. The eight phases, with ``h = min(r, PP-1-r)``, ``n = PP/2``:
    (1) ``2(n-h-1)`` forwards of phase 0; (2) ``h+1`` pairs of forwards, phase 0 then 1;
    (3) ``n-h-1`` times: input-gradient backward (phase 1), a queued weight gradient, forward
    (phase 1); (4) the main loop: overlapped forward 0 + backward 1, then overlapped forward 1 +
    backward 0 (the two middle ranks run their first pair without overlap); (5) ``n-h-1`` times:
    backward (phase 1), overlapped forward 1 + backward 0; (6) ``h+1`` pairs of backwards, the
    second half of them split so their weight gradients are deferred; (7) ``n-h-1`` times: a
    weight gradient, then an input-gradient backward (phase 0); (8) the remaining weight gradients.
    """
    _check_sizes(stages, microbatches)
    if stages % 2:
        raise ValueError(f"stages must be even for DualPipe, got {stages}")
    if microbatches % 2 or microbatches < 2 * stages:
        raise ValueError(f"microbatches must be even and ≥ 2 x stages ({2 * stages}) for "
                         f"DualPipe, got {microbatches}")
    orders = [_dualpipe_rank(r, stages, microbatches) for r in range(stages)]
    return Schedule("DualPipe", stages, microbatches, orders, bidirectional=True)


def _dualpipe_rank(r: int, stages: int, microbatches: int) -> list[Op]:
    """The order of operations on rank ``r`` of DualPipe: the eight phases of ``dualpipe``."""
    half, n = microbatches // 2, stages // 2
    h = min(r, stages - 1 - r)
    second_half = r >= n
    middle = h == n - 1
    ops: list[Op] = []
    next_f, next_b = [0, 0], [0, 0]
    weights: deque[tuple[int, int]] = deque()

    def direction(phase):
        return phase ^ second_half

    def forward(phase):
        d = direction(phase)
        ops.append(Op("F", d, next_f[d]))
        next_f[d] += 1

    def backward(phase, split=False):
        d = direction(phase)
        ops.append(Op("Bi" if split else "B", d, next_b[d]))
        if split:
            weights.append((d, next_b[d]))
        next_b[d] += 1

    def weight():
        d, m = weights.popleft()
        ops.append(Op("W", d, m))

    def pair(f_phase, b_phase):
        df, db = direction(f_phase), direction(b_phase)
        ops.append(Op("FB", df, next_f[df], db, next_b[db]))
        next_f[df] += 1
        next_b[db] += 1

    for _ in range(2 * (n - h - 1)):                      # (1)
        forward(0)
    for _ in range(h + 1):                                # (2)
        forward(0)
        forward(1)
    for _ in range(n - h - 1):                            # (3)
        backward(1, split=True)
        weight()
        forward(1)
    for i in range(half - stages + h + 1):                # (4)
        if i == 0 and middle:
            forward(0)
            backward(1)
        else:
            pair(0, 1)
        pair(1, 0)
    for _ in range(n - h - 1):                            # (5)
        backward(1)
        pair(1, 0)
    split = False                                         # (6)
    for i in range(h + 1):
        if i == (h + 1) // 2 and h % 2 == 1:
            split = True
        backward(1, split)
        if i == (h + 1) // 2 and h % 2 == 0:
            split = True
        backward(0, split)
    for _ in range(n - h - 1):                            # (7)
        weight()
        backward(0, split=True)
    while weights:                                        # (8)
        weight()
    return ops


SCHEDULES = {"1F1B": one_f_one_b, "ZB1P": zero_bubble_1p, "DualPipe": dualpipe}


def simulate(schedule: Schedule, times: ChunkTimes) -> Schedule:
    """A copy of ``schedule`` with every operation's start and end times.

    Ranks are advanced in order of the time they become free, so an operation whose input does
    not exist yet is certain not to be ready at that time; a rank with queued weight gradients
    (``fill_weights``) runs one instead of waiting.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    if not isinstance(times, ChunkTimes):
        raise TypeError(f"times must be ChunkTimes, got {type(times).__name__}")
    schedule = copy.deepcopy(schedule)
    P = schedule.stages
    done: dict[tuple[str, int, int, int], float] = {}     # (F|B, direction, microbatch, stage)
    free = [0.0] * P
    nxt = [0] * P
    queued: list[deque[Op]] = [deque() for _ in range(P)]
    timeline: list[list[Op]] = [[] for _ in range(P)]

    def needs(rank: int, op: Op) -> tuple[list, list]:
        """(inputs the op waits for, results it produces)."""
        deps, makes = [], []
        if op.kind in ("F", "FB"):
            s = schedule.stage(rank, op.direction)
            if s > 0:
                deps.append(("F", op.direction, op.microbatch, s - 1))
            makes.append(("F", op.direction, op.microbatch, s))
        if op.kind in ("B", "Bi", "FB"):
            d, m = (op.b_direction, op.b_microbatch) if op.kind == "FB" else (op.direction, op.microbatch)
            s = schedule.stage(rank, d)
            deps.append(("B", d, m, s + 1) if s < P - 1 else ("F", d, m, s))
            makes.append(("B", d, m, s))
        return deps, makes

    held = [0] * P                                         # micro-batches whose activations are held

    def run(rank: int, op: Op, start: float) -> None:
        op.start, op.end = start, start + times.duration(op.kind)
        held[rank] += (op.kind in ("F", "FB")) - (op.kind in ("B", "W", "FB"))
        free[rank] = op.end
        timeline[rank].append(op)

    blocked: set[int] = set()
    while True:
        active = [r for r in range(P) if (nxt[r] < len(schedule.orders[r]) or queued[r])
                  and r not in blocked]
        if not active:
            if blocked:
                raise RuntimeError(f"schedule {schedule.name} deadlocks on ranks {sorted(blocked)}")
            break
        r = min(active, key=lambda q: (free[q], q))
        if nxt[r] == len(schedule.orders[r]):                  # only queued weight work is left
            run(r, queued[r].popleft(), free[r])
            continue
        op = schedule.orders[r][nxt[r]]
        if (op.kind == "F" and queued[r] and schedule.activation_cap
                and held[r] >= schedule.activation_cap[r]):
            run(r, queued[r].popleft(), free[r])               # free memory before a new forward
            continue
        deps, makes = needs(r, op)
        known = all(k in done for k in deps)
        ready = max([done[k] for k in deps], default=0.0) if known else None
        if (ready is None or ready > free[r]) and queued[r]:
            run(r, queued[r].popleft(), free[r])               # fill the wait with a W
            continue
        if ready is None:
            blocked.add(r)                                     # wait until another rank moves
            continue
        run(r, op, max(free[r], ready))
        for k in makes:
            done[k] = op.end
        nxt[r] += 1
        if schedule.fill_weights and op.kind == "Bi":
            queued[r].append(Op("W", op.direction, op.microbatch))
        blocked.clear()
    schedule.orders = timeline
    schedule.times = times
    schedule.makespan = max(free)
    schedule._ran = True
    return schedule


def run_schedule(name: str, stages: int, microbatches: int, times: ChunkTimes) -> Schedule:
    """Build the schedule called ``name`` (a key of ``SCHEDULES``) and simulate it."""
    validate.choice("name", name, tuple(SCHEDULES))
    return simulate(SCHEDULES[name](stages, microbatches), times)


def table2_bubble(name: str, stages: int, times: ChunkTimes) -> float:
    """The bubble formula of the V3 report's Table 2 for schedule ``name``."""
    validate.choice("name", name, tuple(SCHEDULES))
    validate.integer("stages", stages, low=2, high=MAX_STAGES)
    if not isinstance(times, ChunkTimes):
        raise TypeError(f"times must be ChunkTimes, got {type(times).__name__}")
    F, B, W, FB = times.forward, times.backward, times.weight, times.overlapped
    if name == "1F1B":
        return (stages - 1) * (F + B)
    if name == "ZB1P":
        return (stages - 1) * (F + B - 2 * W)
    if stages % 2:
        raise ValueError(f"stages must be even for DualPipe, got {stages}")
    return (stages / 2 - 1) * (FB + B - 3 * W)
