import tornado.ioloop
import tornado.web


class Health(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"status": "ok"})


def main() -> None:
    app = tornado.web.Application([(r"/status", Health)])
    app.listen(8888)
    tornado.ioloop.IOLoop.current().start()  # expect: shutdown.no-signal-handler
