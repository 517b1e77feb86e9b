from taskstore.notify import Notifier


def test_notifier_without_url_does_nothing():
    assert Notifier(None).notify("created", {"id": "t_1"}) is None


def test_notifier_defaults():
    notifier = Notifier("http://127.0.0.1:9/hook")
    assert notifier.max_attempts == 4
    assert notifier.base_delay == 0.2
