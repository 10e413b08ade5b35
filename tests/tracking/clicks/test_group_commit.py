"""The redirect's lean Redis client: concurrent callers share round trips, each gets its own
reply, and errors reach the caller that caused them."""

import threading
import uuid

import pytest
import redis

from tracking.clicks.resp import GroupCommit, RespClient, RespScript


@pytest.fixture
def resp(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis")
    client = RespClient(settings.REDIS_URL)
    yield client
    client.close()


def test_many_threads_each_get_their_own_reply(resp, settings):
    key = f"affnet:test:{uuid.uuid4().hex}"
    group = GroupCommit(resp)
    replies: list[int] = []
    lock = threading.Lock()

    def work():
        for _ in range(200):
            value = group.call(b"INCR", key)
            with lock:
                replies.append(value)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(replies) == list(range(1, 1601))
    assert group.call(b"GET", key) == b"1600"
    redis.Redis.from_url(settings.REDIS_URL).delete(key)


def test_an_error_reply_is_raised_to_its_own_caller_only(resp):
    group = GroupCommit(resp)
    with pytest.raises(redis.ResponseError):
        group.call(b"NOSUCHCOMMAND")
    assert group.call(b"PING") == b"PONG"


def test_a_script_unknown_to_the_server_is_loaded_by_eval(resp):
    script = RespScript(GroupCommit(resp), f"return '{uuid.uuid4().hex}'")
    first, second = script([], []), script([], [])
    assert first == second and len(first) == 32


def test_a_dropped_connection_is_reopened(resp):
    assert resp.call(b"PING") == b"PONG"
    resp._local.conn[0].close()  # the server or a proxy dropped us
    assert resp.call(b"PING") == b"PONG"


def test_an_unreachable_redis_raises_a_connection_error():
    client = RespClient("redis://127.0.0.1:1/0", timeout=0.5)
    with pytest.raises(redis.ConnectionError):
        client.call(b"PING")


def test_a_failing_leader_never_leaves_the_other_callers_waiting(resp, monkeypatch):
    group = GroupCommit(resp)
    started = threading.Event()
    release = threading.Event()
    original = resp.call_many

    def slow_then_broken(commands):
        started.set()
        release.wait(5)
        raise ValueError("a bug in the client")

    monkeypatch.setattr(resp, "call_many", slow_then_broken)
    errors: list[BaseException] = []

    def caller():
        try:
            group.call(b"PING")
        except (ValueError, redis.RedisError) as exc:
            errors.append(exc)

    leader = threading.Thread(target=caller)
    leader.start()
    started.wait(5)
    followers = [threading.Thread(target=caller) for _ in range(3)]
    for thread in followers:
        thread.start()
    release.set()
    monkeypatch.setattr(resp, "call_many", original)
    for thread in [leader, *followers]:
        thread.join(10)
        assert not thread.is_alive()
    assert any(isinstance(error, ValueError) for error in errors)
    assert group.call(b"PING") == b"PONG"  # and the group still works
