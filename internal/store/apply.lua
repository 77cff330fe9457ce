-- Applies the changes of a batch of events of ONE product: each event whole
-- or not at all, whatever Redis answers.
-- KEYS: every key the batch touches (all share the product's hash tag).
-- ARGV[1]: marker TTL in seconds (0 = markers never expire).
-- ARGV[2]: number of guards, then per guard: keyIndex, member, present
--   ('1'/'0'), value. A guard holds when HGET key member is value (present)
--   or nil (not present).
-- Then: number of strict events, and per one: markerKeyIndex, eventId. A
--   strict event must not be marked applied yet.
-- If any guard or strict event fails, nothing is written and the script
-- returns {-1}: the caller re-reads and recomputes (optimistic concurrency).
-- Then, per event: markerKeyIndex (0 = event has no id), eventId, strict
-- ('1'/'0'), nChanges, and per change: op, keyIndex, member, value. The ops
-- (named in apply.go):
--   'za'  ZINCRBY key value member   (handler.ScoreAdd)
--   'ze'  ZADD key NX value member   (handler.ScoreEnsure)
--   'zs'  ZADD key value member      (handler.ScoreSet)
--   'ha'  HINCRBY key member value   (handler.StatAdd)
--   'hs'  HSET key member value      (handler.StatSet, handler.StateSet)
--   'bx'  refuse the event if member is a field of the banned hash key
--         (one per player the event names, first; writes nothing)
-- Returns {applied, nDuplicates, ordinal of each duplicate (1-based)...,
-- then per rejected event: ordinal, keyIndex, Redis's message}, or, when a
-- strict event was rejected, {-2, ordinal, keyIndex, message} with nothing
-- of the batch left written: later rated events were computed from its
-- rating, so the caller recomputes the batch without it.
--
-- Why undo and not pre-checks. Redis does not roll a script back when a
-- command errors: what ran before stays. Checking everything that can fail
-- before the first write means re-implementing Redis's rules (key types,
-- what HINCRBY takes as an integer, int64 overflow in Lua's doubles, float
-- overflow) for two servers (redis-server and miniredis) that differ in the
-- details. Instead every command runs under redis.pcall, so Redis itself
-- says what fails, and each write first reads the value it replaces (HGET,
-- ZSCORE; ZADD NX's and HSETNX's replies say whether they added: an add of
-- 0 is an HSETNX), so an event that fails
-- midway is put back exactly: a previous value is restored as the string
-- Redis gave (a score string restored by ZADD is the same double, so the
-- same bytes), an absent one is removed again (HDEL/ZREM, and Redis deletes
-- a key left empty), never "add -v". A ZINCRBY whose result is not finite
-- (inf, -inf, nan) counts as an overflow and is undone too, and so does an
-- HINCRBY that wrapped around (miniredis does not refuse it). The marker is
-- written last; marker TTLs are set once at the end, after anything that
-- could be undone. Cost: one extra read per write on the happy path (see
-- docs/guarantees.md for the measured ratio); a failing event costs its
-- undo only.
local ttl = tonumber(ARGV[1])
local ng = tonumber(ARGV[2])
local i = 3
local function failed(r) return type(r) == 'table' and r.err ~= nil end
for _ = 1, ng do
  local v = redis.pcall('HGET', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
  -- A guard on a key of the wrong type reads as absent: the events that
  -- write it are rejected below, one by one.
  if failed(v) then v = false end
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
  if redis.pcall('HEXISTS', KEYS[tonumber(ARGV[i])], ARGV[i + 1]) == 1 then return {-1} end
  i = i + 2
end
local n = #ARGV
local applied, ord = 0, 0
local dups, rejects = {}, {}
local touched = {}
-- log holds what to restore, newest last: {isZset, key, member, previous}
-- (previous false = was absent). It spans the whole run so a rejected
-- strict event can put back the entire batch.
local log = {}
local function undo(to)
  for j = #log, to + 1, -1 do
    local u = log[j]
    if u[1] then
      if u[4] then redis.call('ZADD', u[2], u[4], u[3]) else redis.call('ZREM', u[2], u[3]) end
    else
      if u[4] then redis.call('HSET', u[2], u[3], u[4]) else redis.call('HDEL', u[2], u[3]) end
    end
    log[j] = nil
  end
end
-- banned caches, per banned-players hash, whether it exists at all, so a
-- product without bans pays one EXISTS per script run.
local banned = {}
-- write runs one change and returns Redis's error message, or nil.
local function write(op, key, member, value)
  if op == 'bx' then
    if banned[key] == nil then banned[key] = redis.call('EXISTS', key) == 1 end
    if not banned[key] then return nil end
    local r = redis.pcall('HEXISTS', key, member)
    if failed(r) then return r.err end
    if r == 1 then return 'statsctl banned: ' .. member end
    return nil
  end
  if op == 'ze' then
    local r = redis.pcall('ZADD', key, 'NX', value, member)
    if failed(r) then return r.err end
    if r == 1 then log[#log + 1] = {true, key, member, false} end
    return nil
  end
  if op == 'ha' and value == '0' then
    -- Adding 0 only creates the field: HSETNX says whether it did, so no
    -- read is needed (and a non-integer value is left alone, as adding 0
    -- would).
    local r = redis.pcall('HSETNX', key, member, '0')
    if failed(r) then return r.err end
    if r == 1 then log[#log + 1] = {false, key, member, false} end
    return nil
  end
  local z = op ~= 'ha' and op ~= 'hs'
  local prev
  if z then prev = redis.pcall('ZSCORE', key, member) else prev = redis.pcall('HGET', key, member) end
  if failed(prev) then return prev.err end
  local r
  if op == 'za' then
    r = redis.pcall('ZINCRBY', key, value, member)
  elseif op == 'zs' then
    r = redis.pcall('ZADD', key, value, member)
  elseif op == 'ha' then
    r = redis.pcall('HINCRBY', key, member, value)
  elseif op == 'hs' then
    r = redis.pcall('HSET', key, member, value)
  else
    return 'statsctl apply: unknown op ' .. tostring(op)
  end
  if failed(r) then return r.err end
  log[#log + 1] = {z, key, member, prev}
  if op == 'ha' then
    -- redis-server refuses an int64 overflow itself; miniredis wraps
    -- around. Same signs in, another sign out is exactly an overflow.
    local a, b, c = tonumber(prev or '0'), tonumber(value), tonumber(r)
    if (a >= 0 and b > 0 and c < 0) or (a < 0 and b < 0 and c >= 0) then
      return 'ERR increment or decrement would overflow'
    end
  elseif op == 'za' then
    local s = tonumber(r)
    if s == nil or s ~= s or s == math.huge or s == -math.huge then
      return 'ERR score overflow: ZINCRBY ' .. value .. ' would make the score ' .. tostring(r)
    end
  end
  return nil
end
while i <= n do
  local mk = tonumber(ARGV[i])
  local id = ARGV[i + 1]
  local strict = ARGV[i + 2] == '1'
  local nc = tonumber(ARGV[i + 3])
  i = i + 4
  local last = i + 4 * nc
  ord = ord + 1
  local bad, badKey
  local fresh = true
  if mk > 0 then
    local r = redis.pcall('HEXISTS', KEYS[mk], id)
    if failed(r) then
      bad, badKey = r.err, mk
    elseif r == 1 then
      fresh = false
    end
  end
  if fresh and not bad then
    local mark = #log
    while i < last do
      local ki = tonumber(ARGV[i + 1])
      local e = write(ARGV[i], KEYS[ki], ARGV[i + 2], ARGV[i + 3])
      if e then
        bad, badKey = e, ki
        break
      end
      i = i + 4
    end
    if not bad and mk > 0 then
      local r = redis.pcall('HSET', KEYS[mk], id, 1)
      if failed(r) then
        bad, badKey = r.err, mk
      else
        log[#log + 1] = {false, KEYS[mk], id, false}
      end
    end
    if bad then
      if strict then
        undo(0)
        return {-2, ord, badKey, bad}
      end
      undo(mark)
    else
      if mk > 0 then touched[mk] = true end
      applied = applied + 1
    end
  end
  if bad then
    rejects[#rejects + 1] = ord
    rejects[#rejects + 1] = badKey
    rejects[#rejects + 1] = bad
  elseif not fresh then
    dups[#dups + 1] = ord
  end
  i = last
end
if ttl > 0 then
  for mk in pairs(touched) do redis.pcall('EXPIRE', KEYS[mk], ttl) end
end
local out = {applied, #dups}
for _, d in ipairs(dups) do out[#out + 1] = d end
for _, r in ipairs(rejects) do out[#out + 1] = r end
return out
