"""A wake-up that finds its drain already running in this process hands its turn to it: the
rows it was about are still taken, by one drain, not by a second one beside it."""

import threading

from subscriptions.core import dispatch


def test_a_wake_up_during_a_drain_gets_a_second_turn_instead_of_a_second_drain():
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def run() -> int:
        runs.append(threading.current_thread().name)
        if len(runs) == 1:
            started.set()
            release.wait(5)
        return 1

    first = threading.Thread(target=lambda: dispatch.run_alone("t.drain", (), run), name="first")
    first.start()
    assert started.wait(5)
    # The second wake-up returns at once: the running drain takes its turn for it.
    assert dispatch.run_alone("t.drain", (), run) == 0
    release.set()
    first.join(5)
    assert runs == ["first", "first"]


def test_drains_of_different_kinds_run_side_by_side():
    inside = threading.Barrier(2, timeout=5)

    def run() -> int:
        inside.wait()  # both are inside their drain at once, or this times out
        return 1

    other = threading.Thread(target=lambda: dispatch.run_alone("t.send", ("welcome",), run))
    other.start()
    assert dispatch.run_alone("t.send", ("confirmation",), run) == 1
    other.join(5)


def test_past_its_budget_a_drain_queues_the_task_for_what_is_left(monkeypatch):
    published = []
    monkeypatch.setattr(dispatch, "enqueue", lambda name, *args: published.append((name, args)))
    calls = []

    def run() -> int:
        calls.append(1)
        # Another wake-up arrives during every turn: it finds this drain running.
        assert dispatch.run_alone("t.budget", (), run, budget=0.05) == 0
        return 1

    assert dispatch.run_alone("t.budget", (), run, budget=0.05) >= 1
    assert published == [("t.budget", ())]


def test_the_follow_up_past_the_budget_finds_the_drain_free_to_take_it(monkeypatch):
    # The follow-up may reach another thread of this very process at once: it must find the
    # drain let go of, or it would leave a note no one reads, and the rest would wait for
    # beat's sweep.
    taken_by_follow_up = []

    def follow_up(name, *args):
        taken_by_follow_up.append(dispatch.run_alone("t.follow", (), lambda: 7, budget=5))

    monkeypatch.setattr(dispatch, "enqueue", follow_up)
    assert dispatch.run_alone("t.follow", (), lambda: 1, budget=-1) == 0  # over at once
    assert taken_by_follow_up == [7]
