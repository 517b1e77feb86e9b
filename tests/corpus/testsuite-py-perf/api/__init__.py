def parse(raw):
    return raw.split(",")
