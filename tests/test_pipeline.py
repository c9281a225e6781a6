"""tinyseek.pipeline: simulated bubbles equal the closed forms of the V3 report's Table 2."""

import random

import pytest
from tinyseek import data
from tinyseek import pipeline as pl

# The equal-chunk assumption under which Table 2's formulas are exact: W = F and B = 2F.
EQUAL = [pl.ChunkTimes(1, 2, 1, fb) for fb in (2.0, 2.5, 3.0)] + [pl.ChunkTimes(3, 6, 3, 7)]


@pytest.mark.parametrize("stages", [2, 3, 4, 8, 16])
@pytest.mark.parametrize("extra", [0, 1, 5, 20])
def test_1f1b_bubble_is_pp_minus_1_times_f_plus_b_for_any_chunk_times(stages, extra):
    rng = random.Random(stages * 100 + extra)
    for _ in range(3):
        f, b = rng.uniform(0.5, 2), rng.uniform(0.5, 4)
        times = pl.ChunkTimes(f, b, 0.0, f + b)
        run = pl.run_schedule("1F1B", stages, stages + extra, times)
        assert run.idle() == pytest.approx([(stages - 1) * (f + b)] * stages)
        assert run.bubble() == pytest.approx(pl.table2_bubble("1F1B", stages, times))


def test_1f1b_makespan_by_hand():
    run = pl.run_schedule("1F1B", 4, 8, pl.ChunkTimes(1, 2, 0, 3))
    assert run.makespan == (8 + 4 - 1) * 3 == 33
    first = run.orders[0]
    assert [op.label for op in first[:5]] == ["F0", "F1", "F2", "F3", "B0"]
    assert first[4].start == 4 * 1 + 3 * 2             # F0 through 4 stages, B0 back through 3


@pytest.mark.parametrize("stages", [2, 4, 6, 8, 16])
@pytest.mark.parametrize("factor", [2, 3])
@pytest.mark.parametrize("times", EQUAL, ids=str)
def test_dualpipe_bubble_equals_table2_under_equal_chunks(stages, factor, times):
    run = pl.run_schedule("DualPipe", stages, factor * stages, times)
    assert run.bubble() == pytest.approx(pl.table2_bubble("DualPipe", stages, times))


@pytest.mark.parametrize("stages", [2, 4, 6, 8, 16])
@pytest.mark.parametrize("micro", [1, 2])
@pytest.mark.parametrize("times", EQUAL[:2] + EQUAL[3:], ids=str)
def test_zb1p_bubble_equals_table2_under_equal_chunks(stages, micro, times):
    run = pl.run_schedule("ZB1P", stages, micro * stages, times)
    assert run.bubble() == pytest.approx(pl.table2_bubble("ZB1P", stages, times))


def test_table2_formulas_are_approximations_away_from_equal_chunks():
    times = pl.ChunkTimes(1, 2, 0.5, 3)               # W smaller than F
    run = pl.run_schedule("DualPipe", 8, 20, times)
    assert run.bubble() != pytest.approx(pl.table2_bubble("DualPipe", 8, times))


def test_memory_columns_of_table2():
    times = pl.ChunkTimes(1, 2, 1, 3)
    for pp in (4, 8, 16):
        assert max(pl.run_schedule("1F1B", pp, 3 * pp, times).peak_activations()) == pp
        assert max(pl.run_schedule("ZB1P", pp, 3 * pp, times).peak_activations()) == pp
        assert max(pl.run_schedule("DualPipe", pp, 2 * pp, times).peak_activations()) == pp + 1
    assert data.value("v3_dualpipe_activation_memory") == "PP+1"


def test_every_operation_runs_once_and_dependencies_hold():
    run = pl.run_schedule("DualPipe", 8, 20, pl.ChunkTimes(1, 2, 1, 2.5))
    forwards = {}
    for r, ops in enumerate(run.orders):
        for a, b in zip(ops, ops[1:], strict=False):
            assert b.start >= a.end - 1e-12                 # one op at a time on a rank
        for op in ops:
            if op.kind in ("F", "FB"):
                forwards[(op.direction, op.microbatch, run.stage(r, op.direction))] = op
    assert len(forwards) == 20 * 8                       # 10 micro-batches per direction x 8 stages
    for (d, m, s), op in forwards.items():
        if s > 0:
            assert op.start >= forwards[(d, m, s - 1)].end


def test_dualpipe_beats_1f1b_and_overlap_helps():
    for overlap in (False, True):
        times = pl.chunk_times(1, 1, 2, 2, 1, overlap=overlap)
        one = pl.run_schedule("1F1B", 8, 32, pl.chunk_times(1, 1, 2, 2, 1, overlap=False))
        dual = pl.run_schedule("DualPipe", 8, 32, times)
        assert dual.makespan < one.makespan
    off = pl.run_schedule("DualPipe", 8, 32, pl.chunk_times(1, 1, 2, 2, 1, overlap=False))
    on = pl.run_schedule("DualPipe", 8, 32, pl.chunk_times(1, 1, 2, 2, 1, overlap=True))
    assert on.makespan < 0.8 * off.makespan


def test_chunk_times_from_computation_and_communication():
    on = pl.chunk_times(1, 1, 2, 2, 1, overlap=True)
    # the pair's streams: compute 1 + 2, communication 1 + 2 -> 3 each, but the backward alone
    # (compute 2 then communication 2, in sequence) takes 4: the forward hides inside it
    assert (on.forward, on.backward, on.weight, on.overlapped) == (2, 4, 1, 4)
    assert pl.chunk_times(1, 1, 2, 1, 1, overlap=True).overlapped == 3
    assert pl.chunk_times(1, 1, 2, 2, 1, overlap=False).overlapped == 6
    assert pl.chunk_times(1, 5, 1, 0, 0.5).overlapped == 6     # never shorter than one chunk


@pytest.mark.parametrize("call, error, message", [
    (lambda: pl.dualpipe(5, 20), ValueError, "stages must be even"),
    (lambda: pl.dualpipe(8, 10), ValueError, "microbatches must be even and ≥ 2 x stages"),
    (lambda: pl.dualpipe(8, 17), ValueError, "microbatches must be even"),
    (lambda: pl.one_f_one_b(1, 4), ValueError, "stages must be ≥ 2"),
    (lambda: pl.one_f_one_b(4, 0), ValueError, "microbatches must be ≥ 1"),
    (lambda: pl.one_f_one_b(4.0, 4), TypeError, "stages must be an integer"),
    (lambda: pl.ChunkTimes(0, 2, 1, 2), ValueError, "forward must be > 0"),
    (lambda: pl.ChunkTimes(1, 2, 2, 2), ValueError, "weight must be < 2"),
    (lambda: pl.ChunkTimes(1, 2, 1, 1.5), ValueError, "overlapped must be ≥ 2"),
    (lambda: pl.ChunkTimes(1, 2, 1, 3.5), ValueError, "overlapped must be ≤ 3"),
    (lambda: pl.chunk_times(1, -1, 2, 1, 1), ValueError, "f_comm must be ≥ 0"),
    (lambda: pl.chunk_times(1, 1, 2, 1, 1, overlap="yes"), TypeError, "overlap must be True or False"),
    (lambda: pl.run_schedule("GPipe", 4, 8, pl.ChunkTimes(1, 2, 1, 3)), ValueError, "name must be one of"),
    (lambda: pl.table2_bubble("DualPipe", 5, pl.ChunkTimes(1, 2, 1, 3)), ValueError, "stages must be even"),
    (lambda: pl.simulate(pl.one_f_one_b(2, 2), (1, 2)), TypeError, "times must be ChunkTimes"),
    (lambda: pl.one_f_one_b(2, 2).bubble(), ValueError, "run the schedule first"),
])
def test_bad_inputs_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
