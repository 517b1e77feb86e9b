local rcall = redis.call
--- @include "includes/releaseLock"
if rcall("EXISTS", KEYS[1]) == 1 then
  releaseLock(KEYS[1] .. ":lock", ARGV[1])
  rcall("LREM", KEYS[2], -1, ARGV[2])
  rcall("ZADD", KEYS[3], ARGV[3], ARGV[2])
end
return 0
