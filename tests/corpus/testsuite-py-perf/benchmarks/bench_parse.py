from api import parse


class TimeParse:
    def time_parse(self):
        parse("a,b,c")
