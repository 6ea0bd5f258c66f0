"""`loa run` restarts its own broker with backoff (the policy, without processes)."""

from loa.app.run import Restarts


def test_backoff_doubles_up_to_a_minute_and_resets_after_a_healthy_run():
    r = Restarts()
    r.started(0)
    delays = []
    now = 10.0
    for _ in range(9):
        delays.append(r.died(now))
        now += delays[-1]
        r.started(now)
        now += 5  # dies again 5 s after each start
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    now += 400  # then it ran for more than 5 minutes
    assert r.died(now) == 1 and r.count == 10
