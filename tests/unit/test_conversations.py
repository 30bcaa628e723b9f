from engine.conversations import ThreadKeys, plan_threads


def keys(mid: str | None, irt: str | None = None, refs: tuple[str, ...] = ()) -> ThreadKeys:
    return ThreadKeys(mid, irt, refs, f"subject of {mid}")


def test_reply_joins_parent_in_same_batch() -> None:
    plan = plan_threads([keys("<a>"), keys("<b>", "<a>", ("<a>",))], {})
    ids, _ = plan.resolve([10])
    assert ids == [10, 10]
    assert plan.new_subjects == ["subject of <a>"]


def test_reply_joins_thread_already_stored() -> None:
    plan = plan_threads([keys("<c>", "<b>", ("<a>", "<b>"))], {"<a>": 7, "<b>": 7})
    ids, refs = plan.resolve([])
    assert ids == [7]
    assert refs == [("<c>", 7)]


def test_child_before_parent_still_one_thread() -> None:
    plan = plan_threads([keys("<b>", "<a>", ("<a>",)), keys("<a>")], {})
    ids, refs = plan.resolve([3])
    assert ids == [3, 3]
    assert dict(refs) == {"<a>": 3, "<b>": 3}


def test_unrelated_messages_get_their_own_threads() -> None:
    plan = plan_threads([keys("<a>"), keys("<x>"), keys(None)], {})
    ids, _ = plan.resolve([1, 2, 3])
    assert ids == [1, 2, 3]


def test_same_message_id_twice_is_one_thread() -> None:
    # The Sent copy and the INBOX copy of one message.
    plan = plan_threads([keys("<a>"), keys("<a>")], {})
    ids, refs = plan.resolve([5])
    assert ids == [5, 5]
    assert refs == [("<a>", 5)]


def test_grandparent_reference_is_enough() -> None:
    plan = plan_threads([keys("<c>", None, ("<a>", "<missing>"))], {"<a>": 4})
    ids, refs = plan.resolve([])
    assert ids == [4]
    assert ("<missing>", 4) in refs
