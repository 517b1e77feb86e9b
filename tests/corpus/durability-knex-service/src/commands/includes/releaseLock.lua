local function releaseLock(key, token)
  if rcall("GET", key) == token then
    rcall("DEL", key)
  end
end
