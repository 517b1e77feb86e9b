return redis.call("LLEN", KEYS[1])
