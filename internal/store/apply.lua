-- Applies the changes of a batch of events of ONE product atomically.
-- KEYS: every key the batch touches (all share the product's hash tag).
-- ARGV[1]: marker TTL in seconds (0 = markers never expire).
-- ARGV[2]: number of guards, then per guard: keyIndex, member, present
--   ('1'/'0'), value. A guard holds when HGET key member is value (present)
--   or nil (not present).
-- Then: number of strict events, and per one: markerKeyIndex, eventId. A
--   strict event must not be marked applied yet.
-- If any guard or strict event fails, nothing is written and the script
-- returns {-1}: the caller re-reads and recomputes (optimistic concurrency).
-- Then, per event: markerKeyIndex (0 = event has no id), eventId, nChanges,
-- and per change: op, keyIndex, member, value. The ops (named in apply.go):
--   'za'  ZINCRBY key value member   (handler.ScoreAdd)
--   'ze'  ZADD key NX value member   (handler.ScoreEnsure)
--   'zs'  ZADD key value member      (handler.ScoreSet)
--   'ha'  HINCRBY key member value   (handler.StatAdd)
--   'hs'  HSET key member value      (handler.StatSet, handler.StateSet)
-- Returns {applied, ordinal of each duplicate event (1-based)...}.
-- An event whose id is already in its marker hash is skipped whole, which is
-- what makes a redelivered or replayed event change nothing. The marker is
-- written after the event's changes so a failing command cannot leave an
-- event marked but unapplied.
local ttl = tonumber(ARGV[1])
local ng = tonumber(ARGV[2])
local i = 3
for _ = 1, ng do
  local v = redis.call('HGET', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
  if ARGV[i + 2] == '1' then
    if v ~= ARGV[i + 3] then return {-1} end
  elseif v then
    return {-1}
  end
  i = i + 4
end
local ns = tonumber(ARGV[i])
i = i + 1
for _ = 1, ns do
  if redis.call('HEXISTS', KEYS[tonumber(ARGV[i])], ARGV[i + 1]) == 1 then return {-1} end
  i = i + 2
end
local n = #ARGV
local applied, ord = 0, 0
local out = {0}
local touched = {}
while i <= n do
  local mk = tonumber(ARGV[i])
  local id = ARGV[i + 1]
  local nc = tonumber(ARGV[i + 2])
  i = i + 3
  ord = ord + 1
  local fresh = true
  if mk > 0 and redis.call('HEXISTS', KEYS[mk], id) == 1 then
    fresh = false
  end
  if fresh then
    for _ = 1, nc do
      local op, key, member, value = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3]
      if op == 'za' then
        redis.call('ZINCRBY', key, value, member)
      elseif op == 'ze' then
        redis.call('ZADD', key, 'NX', value, member)
      elseif op == 'zs' then
        redis.call('ZADD', key, value, member)
      elseif op == 'ha' then
        redis.call('HINCRBY', key, member, value)
      elseif op == 'hs' then
        redis.call('HSET', key, member, value)
      else
        return redis.error_reply('statsctl apply: unknown op ' .. tostring(op))
      end
      i = i + 4
    end
    if mk > 0 then
      redis.call('HSET', KEYS[mk], id, 1)
      if ttl > 0 and not touched[mk] then
        touched[mk] = true
        redis.call('EXPIRE', KEYS[mk], ttl)
      end
    end
    applied = applied + 1
  else
    out[#out + 1] = ord
    i = i + 4 * nc
  end
end
out[1] = applied
return out
