-- Moves one product's imported history into place, atomically, exactly once.
-- KEYS[1] import marker, KEYS[2] live board, KEYS[3] staged board, then per
-- player a pair: staged stats hash, live stats hash. All in one product's
-- slot. ARGV[1] "replace" or "merge", ARGV[2] marker value, ARGV[3] players
-- staged on the board, ARGV[3 + j] fields staged for pair j.
--
-- Everything that can fail is checked before the first write (Redis does
-- not roll a script back): the marker, the staged copy being complete (a
-- staged key may have expired), the live keys' types, and in merge mode
-- every live value being an integer whose sum cannot overflow. A refusal
-- returns {reason, key[, field]} and has changed nothing.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'migrated', redis.call('GET', KEYS[1])}
end
local merge = ARGV[1] == 'merge'
local players = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[3]) ~= players then
  return {'incomplete', KEYS[3]}
end
local btype = redis.call('TYPE', KEYS[2])['ok']
if btype ~= 'none' then
  if not merge then return {'has_data', KEYS[2]} end
  if btype ~= 'zset' then return {'wrong_type', KEYS[2]} end
end

-- An integer as Redis's HINCRBY reads it: no sign but '-', no leading
-- zeros, no spaces, within 64 bits. Sums are refused well before 2^63
-- (|a| + |b| > 4e18), which doubles can judge without being exact.
local function int(v)
  if v == '0' or (#v <= 20 and string.match(v, '^%-?[1-9]%d*$')) then
    local n = tonumber(v)
    if n and math.abs(n) <= 9.2e18 then return n end
  end
  return nil
end

local pairs_n = (#KEYS - 3) / 2
local exists = {}
for j = 0, pairs_n - 1 do
  local staged, live = KEYS[4 + 2 * j], KEYS[5 + 2 * j]
  if redis.call('HLEN', staged) ~= tonumber(ARGV[4 + j]) then
    return {'incomplete', staged}
  end
  local ltype = redis.call('TYPE', live)['ok']
  exists[j] = ltype ~= 'none'
  if ltype ~= 'none' then
    if not merge then return {'has_data', live} end
    if ltype ~= 'hash' then return {'wrong_type', live} end
    local kv = redis.call('HGETALL', staged)
    for i = 1, #kv, 2 do
      local cur = redis.call('HGET', live, kv[i])
      if cur then
        local a, b = int(cur), int(kv[i + 1])
        if a == nil then return {'not_integer', live, kv[i]} end
        if b == nil or math.abs(a) + math.abs(b) > 4e18 then return {'overflow', live, kv[i]} end
      end
    end
  end
end

-- Checks done: write.
if players > 0 then
  if btype == 'none' then
    redis.call('RENAME', KEYS[3], KEYS[2])
    redis.call('PERSIST', KEYS[2])
  else
    redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[3])
    redis.call('DEL', KEYS[3])
  end
end
for j = 0, pairs_n - 1 do
  local staged, live = KEYS[4 + 2 * j], KEYS[5 + 2 * j]
  if not exists[j] then
    redis.call('RENAME', staged, live)
    redis.call('PERSIST', live)
  else
    local kv = redis.call('HGETALL', staged)
    for i = 1, #kv, 2 do
      redis.call('HINCRBY', live, kv[i], kv[i + 1])
    end
    redis.call('DEL', staged)
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return {'ok'}
