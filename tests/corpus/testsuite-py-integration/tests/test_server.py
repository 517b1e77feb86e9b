import threading

from shop import price


def start(app_factory):
    server = app_factory(host="127.0.0.1", port=0)  # expect: tests.integration-suite
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_price_again():
    assert price("pear") == 0.0
