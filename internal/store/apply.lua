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
-- Then: the banned hash's keyIndex, or 0. With 0 the events carry their
-- 'bx' checks; else they carry none, and if that hash exists nothing is
-- written and the script returns {-3}: the caller sends the batch again
-- with the checks (a product without bans pays one EXISTS a run instead
-- of 3 arguments per player per event).
-- Then, per event: a header "<markerKeyIndex>:<nChanges>" (markerKeyIndex
-- 0 = the event has no id), with "!" after it if the event is strict;
-- eventId; and per change: op and keyIndex as one string ("ha12": op 'ha'
-- on KEYS[12]), member, value. The ops (named in apply.go):
--   'za'  ZINCRBY key value member   (handler.ScoreAdd)
--   'ze'  ZADD key NX value member   (handler.ScoreEnsure)
--   'zs'  ZADD key value member      (handler.ScoreSet)
--   'ha'  HINCRBY key member value   (handler.StatAdd)
--   'hs'  HSET key member value      (handler.StatSet, handler.StateSet, handler.MetaSet)
--   'hp'  history point: key is the player's history sorted set, member the
--         user, value "boardKeyIndex:timeMs:points:everyMs"; the player's
--         score on the board (after this event's writes) is added as
--         member "<timeMs>|g|<score>" at score timeMs (0: Redis's TIME);
--         with everyMs > 0 a point replaces the points of its
--         interval; then the oldest points past
--         `points` are dropped. Every removal is logged with its score, so
--         undo is exact (history.go).
-- Value boards and value stats (issue 11; scores are scaled integers, exact
-- up to 2^53-1, and 'OUT_OF_RANGE' messages become reason out_of_range):
--   'zg'  ZADD key value member if absent or higher       (handler.ScoreMax)
--   'zl'  ZADD key value member if absent or lower        (handler.ScoreMin)
--   'zx'  ZINCRBY key delta member, |result| <= 2^53-1, value 'delta' or
--         'delta|floor': a result below floor is set to floor (handler.ScoreAddExact)
--   'zc'  refuse if member's score differs from new by more than maxc,
--         value 'new|maxc'; writes nothing                (handler.ScoreCheck)
--   'zt'  tie-break of a ties: first board: key is the tie zset, value
--         'mode|boardKeyIndex|tieHashKeyIndex|eventValue|prefix' (handler.ScoreTie)
--   'hg'  HSET key member value if absent or higher       (handler.StatMax)
--   'hl'  HSET key member value if absent or lower        (handler.StatMin)
--   'sd'  SADD key member; value 'statsKeyIndex|max|field': refuse beyond
--         max members, HSET the stats field to SCARD      (handler.StatDistinct)
--   'pw'  period instance member of the registry key (handler.PeriodOpen):
--         value "closedIdx start horizon cutoff eventMs lbPrefix rtPrefix
--         [suffix]". Refused (no write) when the period is in the closed
--         hash, when the registry holds a period starting at or after
--         horizon (the event's period is past the kept archive), or when
--         the event is more than a minute ahead of the server's clock;
--         else ZADD NX start member. When the batch is done, registry
--         members older than the greatest cutoff are trimmed: their board
--         and rating-state keys deleted, their closed mark dropped.
--   'ir'  instance member of the registry key (handler.InstanceAdd):
--         value "score max"; ZADD NX score member, refused when member is
--         new and max > 0 instances besides the unsplit one already share
--         the score (a segment beyond max_segments in that period).
--   Refusals of 'pw' and 'ir' are messages "statsctl <reason>: ..." that
--   the engine reports under that reason (handler.ScriptReason).
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
-- HINCRBY that wrapped around (miniredis does not refuse it). Markers are
-- read for the whole batch before the first write and written after the
-- last event (also for an event refused 'OUT_OF_RANGE', so that verdict
-- stands on a replay); marker TTLs are set once at the end, after anything that
-- could be undone. Cost: one extra read per write on the happy path (see
-- docs/guarantees.md for the measured ratio); a failing event costs its
-- undo only.
--
-- The last write. An event's last write ('ha', 'hs', 'zs') reads nothing
-- when nothing could undo it once it succeeded: a later write of its event
-- would (there is none), a strict event's rejection would (undo(0): so no
-- event of the batch may be strict, with or without an id), and so would a
-- check of its reply ('ha' on miniredis, which wraps an int64 overflow;
-- redis-server refuses it itself, so the fast path needs
-- redis.REDIS_VERSION, set by redis-server 7.0 on; 'za' keeps its read: a
-- result of inf is undone). If it fails, Redis wrote nothing, and the
-- event's earlier writes are undone as always. The one undo(0) left that
-- could reach such a write is a failed marker write at the end, and on
-- redis-server that cannot fail after a write of the same run succeeded
-- (the marker keys read fine; refusing writes - a read-only replica, a
-- disk error, min-replicas - does not change within a run, and maxmemory
-- refuses only a run's first write); nor can an ACL that lets statsctl
-- read its marker keys but not write them: redis-server 7.0 checks a
-- script's declared KEYS for read and write before the run and refuses
-- the whole call (NOPERM, tried on 7.0.15). On the realistic stream this
-- drops 3 of 4 reads (issue 15).
--
-- The hot path (issue 15). Of a script run's cost on the realistic
-- stream (callgrind of redis-server 7.0.15 built with symbols), about 47%
-- is the nested commands (the commands proper about 27%, the rest Redis's
-- machinery around each redis.pcall), 10% building ARGV (parsing the
-- request's arguments before the run costs another 12% on top), and 43%
-- Lua itself. So the loop is written for
-- the VM: builtins, ARGV and KEYS are locals; a number or header sent as a
-- string (key index, count) is decoded once per distinct string, through
-- K, N, H and C, because tonumber on a string costs two strtod calls in
-- Redis's Lua; an event's header and a change's op and key each come as
-- one argument; the commonest change runs inline; write() tests the
-- common ops first; and an event that opens no period allocates nothing
-- for one.
local tonumber, type, rpcall = tonumber, type, redis.pcall
local ARGV, KEYS, unpack, string, pairs, ipairs = ARGV, KEYS, unpack, string, pairs, ipairs
local function failed(r) return type(r) == 'table' and r.err ~= nil end
-- N[s] is tonumber(s), K[s] is KEYS[tonumber(s)], both cached. H and C
-- (below) decode an event's header and a change's op and key.
local N = setmetatable({}, {__index = function(t, s)
  local v = tonumber(s)
  t[s] = v
  return v
end})
local K = setmetatable({}, {__index = function(t, s)
  local k = KEYS[N[s]]
  t[s] = k
  return k
end})
local ttl = tonumber(ARGV[1])
local ng = tonumber(ARGV[2])
local i = 3
for _ = 1, ng do
  local v = rpcall('HGET', K[ARGV[i]], ARGV[i + 1])
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
  if rpcall('HEXISTS', K[ARGV[i]], ARGV[i + 1]) == 1 then return {-1} end
  i = i + 2
end
local bk = tonumber(ARGV[i])
i = i + 1
if bk > 0 and redis.call('EXISTS', KEYS[bk]) == 1 then return {-3} end
local n = #ARGV
local applied, ord = 0, 0
local dups, rejects = {}, {}
local touched = {}
-- The undo log holds what to restore, newest last, as four arrays of
-- nlog entries: lz the kind (true: sorted set, false: hash, 's': set), lk
-- the key, lm the member, lp the previous value (false = was absent). It
-- spans the whole run so a rejected strict event can put back the entire
-- batch (when it has no strict event, each event's entries replace the
-- last event's: see the main loop). Arrays and not a table an entry: that
-- table and its collection cost about 3,500 instructions, 5% of a
-- realistic run (issue 15).
local nlog, lz, lk, lm, lp = 0, {}, {}, {}, {}
local function logw(z, key, member, prev)
  nlog = nlog + 1
  lz[nlog], lk[nlog], lm[nlog], lp[nlog] = z, key, member, prev
end
-- okc caches, per registry key and instance, that an instance was checked
-- and is registered in this run, so the events of one period in one batch
-- pay the checks once. Any new registry member (a newer period can make
-- an older one expired) and any undo (it may remove a member) clear it.
local okc = {}
local nowms
local function undo(to)
  okc = {}
  for j = nlog, to + 1, -1 do
    local z, key, member, prev = lz[j], lk[j], lm[j], lp[j]
    if z == 's' then
      redis.call('SREM', key, member)
    elseif z then
      if prev then redis.call('ZADD', key, prev, member) else redis.call('ZREM', key, member) end
    else
      if prev then redis.call('HSET', key, member, prev) else redis.call('HDEL', key, member) end
    end
    lz[j], lk[j], lm[j], lp[j] = nil, nil, nil, nil
  end
  nlog = to
end
-- history records one history point ('hp' above); every ZREM and ZADD is
-- logged like any other sorted-set write.
local function history(key, user, value)
  local bk, t, cap, every = string.match(value, '^(%d+):(%d+):(%d+):(%d+)$')
  if not bk then return 'statsctl apply: bad history point ' .. value end
  cap, every = tonumber(cap), tonumber(every)
  local s = rpcall('ZSCORE', KEYS[tonumber(bk)], user)
  if failed(s) then return s.err end
  if not s then return nil end -- not on the board: no score to record
  if t == '0' then
    local tm = redis.call('TIME')
    t = tm[1] .. string.format('%03d', math.floor(tonumber(tm[2]) / 1000))
  end
  local m = t .. '|g|' .. s
  if every > 0 then
    local tn = tonumber(t)
    local from = tn - (tn % every)
    local old = rpcall('ZRANGEBYSCORE', key, string.format('%.0f', from), string.format('%.0f', from + every - 1), 'WITHSCORES')
    if failed(old) then return old.err end
    for j = 1, #old, 2 do
      if old[j] ~= m then
        redis.call('ZREM', key, old[j])
        logw(true, key, old[j], old[j + 1])
      end
    end
  end
  local prev = rpcall('ZSCORE', key, m)
  if failed(prev) then return prev.err end
  local r = rpcall('ZADD', key, t, m)
  if failed(r) then return r.err end
  logw(true, key, m, prev)
  local n = redis.call('ZCARD', key)
  if n > cap then
    local drop = redis.call('ZRANGE', key, 0, n - cap - 1, 'WITHSCORES')
    for j = 1, #drop, 2 do
      redis.call('ZREM', key, drop[j])
      logw(true, key, drop[j], drop[j + 1])
    end
  end
  return nil
end
-- Value ops (issue 11). Every write logs what it replaces, as above.
local maxExact = 9007199254740991
local function zsetTo(key, member, score, prev)
  local r = rpcall('ZADD', key, score, member)
  if failed(r) then return r.err end
  logw(true, key, member, prev)
  return nil
end
local function keep(key, member, value, higher, isHash)
  local prev
  if isHash then prev = rpcall('HGET', key, member) else prev = rpcall('ZSCORE', key, member) end
  if failed(prev) then return prev.err end
  if prev then
    local a, b = tonumber(prev), tonumber(value)
    if a == nil then return 'ERR statsctl: ' .. member .. ' holds ' .. tostring(prev) .. ', not a number' end
    if (higher and b <= a) or (not higher and b >= a) then return nil end
  end
  if isHash then
    local r = rpcall('HSET', key, member, value)
    if failed(r) then return r.err end
    logw(false, key, member, prev)
    return nil
  end
  return zsetTo(key, member, value, prev)
end
local vop = {}
vop['zg'] = function(key, member, value) return keep(key, member, value, true, false) end
vop['zl'] = function(key, member, value) return keep(key, member, value, false, false) end
vop['hg'] = function(key, member, value) return keep(key, member, value, true, true) end
vop['hl'] = function(key, member, value) return keep(key, member, value, false, true) end
vop['zx'] = function(key, member, value)
  local delta, floor = string.match(value, '^([^|]+)|(.+)$')
  if not delta then delta = value end
  local prev = rpcall('ZSCORE', key, member)
  if failed(prev) then return prev.err end
  local r = rpcall('ZINCRBY', key, delta, member)
  if failed(r) then return r.err end
  logw(true, key, member, prev)
  local s = tonumber(r)
  if s == nil or s ~= s or s > maxExact or s < -maxExact then
    return 'OUT_OF_RANGE the score of ' .. member .. ' would leave the exact range +-9007199254740991 (stored units)'
  end
  if floor and s < tonumber(floor) then
    r = rpcall('ZADD', key, floor, member)
    if failed(r) then return r.err end
  end
  return nil
end
vop['zc'] = function(key, member, value)
  local new, maxc = string.match(value, '^([^|]+)|(.+)$')
  local prev = rpcall('ZSCORE', key, member)
  if failed(prev) then return prev.err end
  if prev and math.abs(tonumber(new) - tonumber(prev)) > tonumber(maxc) then
    return 'OUT_OF_RANGE ' .. new .. ' is more than max_change ' .. maxc .. ' from the stored ' .. prev .. ' (stored units)'
  end
  return nil
end
vop['zt'] = function(key, member, value)
  local mode, bi, hi, ev, prefix = string.match(value, '^(%a+)|(%d+)|(%d+)|(-?%d+)|(.+)$')
  local board, hash = KEYS[tonumber(bi)], KEYS[tonumber(hi)]
  local s = rpcall('ZSCORE', board, member)
  if failed(s) then return s.err end
  if not s then return nil end
  local old = rpcall('HGET', hash, member)
  if failed(old) then return old.err end
  local m = prefix .. member
  local oldScore
  if old then
    oldScore = rpcall('ZSCORE', key, old)
    if failed(oldScore) then return oldScore.err end
    if oldScore and tonumber(oldScore) == tonumber(s) then
      -- Same score: under 'r' the old stamp stays; under 'k' only an
      -- event that reached this very score, earlier, moves it.
      if string.sub(mode, 2, 2) ~= 'k' or tonumber(ev) ~= tonumber(s) then return nil end
      local np, op = string.sub(prefix, 1, -2), string.sub(old, 1, string.len(prefix) - 1)
      local better
      if string.sub(mode, 1, 1) == 'a' then better = np < op else better = np > op end
      if not better then return nil end
    end
    if old ~= m and oldScore then
      local r = rpcall('ZREM', key, old)
      if failed(r) then return r.err end
      logw(true, key, old, oldScore)
    end
  end
  local prev = false
  if old == m then prev = oldScore or false end
  local e = zsetTo(key, m, s, prev)
  if e then return e end
  if old ~= m then
    local r = rpcall('HSET', hash, member, m)
    if failed(r) then return r.err end
    logw(false, hash, member, old)
  end
  return nil
end
vop['sd'] = function(key, member, value)
  local si, max, field = string.match(value, '^(%d+)|(%d+)|(.+)$')
  local r = rpcall('SADD', key, member)
  if failed(r) then return r.err end
  if r == 0 then return nil end
  logw('s', key, member, false)
  local n = rpcall('SCARD', key)
  if failed(n) then return n.err end
  if n > tonumber(max) then
    return 'OUT_OF_RANGE ' .. field .. ' would count more than ' .. max .. ' distinct values'
  end
  local sk = KEYS[tonumber(si)]
  local prev = rpcall('HGET', sk, field)
  if failed(prev) then return prev.err end
  local w = rpcall('HSET', sk, field, n)
  if failed(w) then return w.err end
  logw(false, sk, field, prev)
  return nil
end
-- trims: registry key -> {cutoff, lbPrefix, rtPrefix, suffix, closedKey},
-- from the events applied; pend holds the current event's until it is.
local trims, pend = {}, {}
local function future(ms)
  if not nowms then
    local now = redis.call('TIME')
    nowms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  end
  if tonumber(ms) > nowms + 60000 then
    return 'statsctl future_time: the event time ' .. ms .. ' ms is ahead of the server clock; check the sender\'s clock'
  end
  return nil
end
local function period(key, member, value)
  local oc = key .. '\0' .. member
  if okc[oc] then
    -- An applied event of this run opened the same instance: its checks
    -- hold and its cutoff (the same: it depends on the period only) is in
    -- trims already, so only this event's own time is left to check.
    return future(string.match(value, '^%S+ %S+ %S+ %S+ (%S+)'))
  end
  local t = {}
  for w in string.gmatch(value, '%S+') do t[#t + 1] = w end
  local ck = KEYS[tonumber(t[1])]
  local fe = future(t[5])
  if fe then return fe end
  local id = string.match(member, '@([^~]+)')
  local c = rpcall('HEXISTS', ck, id)
  if failed(c) then return c.err end
  if c == 1 then
    return 'statsctl period_closed: period ' .. id .. ' of ' .. member .. ' is closed (its standings are published); it takes no more events'
  end
  local newer = rpcall('ZRANGEBYSCORE', key, t[3], '+inf', 'LIMIT', 0, 1)
  if failed(newer) then return newer.err end
  if #newer > 0 then
    return 'statsctl period_expired: period ' .. id .. ' of ' .. member .. ' is older than the kept archive (' .. newer[1] .. ' is kept); it is not brought back'
  end
  local r = rpcall('ZADD', key, 'NX', t[2], member)
  if failed(r) then return r.err end
  if r == 1 then
    logw(true, key, member, false)
    okc = {}
  end
  okc[oc] = true
  pend[#pend + 1] = {key, tonumber(t[4]), t[6], t[7], t[8] or '', ck}
  return nil
end
local function instance(key, member, value)
  local oc = key .. '\0' .. member
  if okc[oc] then return nil end
  local sc, mx = string.match(value, '(%S+) (%S+)')
  local have = rpcall('ZSCORE', key, member)
  if failed(have) then return have.err end
  if have then
    okc[oc] = true
    return nil
  end
  if tonumber(mx) > 0 then
    local n = rpcall('ZCOUNT', key, sc, sc)
    if failed(n) then return n.err end
    if n - 1 >= tonumber(mx) then
      return 'statsctl segment_limit: ' .. member .. ' would be segment ' .. n .. ' of a board that allows ' .. mx .. ' (max_segments); raise it in the config or fix the sender'
    end
  end
  local r = rpcall('ZADD', key, 'NX', sc, member)
  if failed(r) then return r.err end
  if r == 1 then
    logw(true, key, member, false)
    okc = {}
  end
  okc[oc] = true
  return nil
end
-- banned caches, per banned-players hash, whether it exists at all, so a
-- product without bans pays one EXISTS per script run.
local banned = {}
-- noRead: an event's last write need not read what it replaces when
-- nothing can undo it after it succeeded (see "The last write" above):
-- set below when the batch has no strict event and the server is
-- redis-server (redis.REDIS_VERSION, 7.0 on; miniredis wraps an int64
-- overflow instead of refusing it, so it takes the read).
local noRead = false
-- wraps: the server wraps an int64 overflow of HINCRBY around instead of
-- refusing it (miniredis; redis-server 7.0 on sets redis.REDIS_VERSION),
-- so the script checks each result's sign itself.
local wraps = redis.REDIS_VERSION == nil
-- write runs one change and returns Redis's error message, or nil. lastw:
-- it is its event's last change.
local function write(op, key, member, value, lastw)
  -- z: the op writes a sorted set (else a hash). The ops of every batch
  -- are tested first; the rest return from their own functions.
  local z
  if op == 'ha' then
    if value == '0' then
      -- Adding 0 only creates the field: HSETNX says whether it did, so
      -- no read is needed (and a non-integer value is left alone, as
      -- adding 0 would).
      local r = rpcall('HSETNX', key, member, '0')
      if type(r) == 'table' and r.err then return r.err end
      if r == 1 then logw(false, key, member, false) end
      return nil
    end
    z = false
  elseif op == 'za' or op == 'zs' then
    z = true
  elseif op == 'ze' then
    local r = rpcall('ZADD', key, 'NX', value, member)
    if type(r) == 'table' and r.err then return r.err end
    if r == 1 then logw(true, key, member, false) end
    return nil
  elseif op == 'hs' then
    z = false
  elseif op == 'bx' then
    if banned[key] == nil then banned[key] = redis.call('EXISTS', key) == 1 end
    if not banned[key] then return nil end
    local r = rpcall('HEXISTS', key, member)
    if failed(r) then return r.err end
    if r == 1 then return 'statsctl banned: ' .. member end
    return nil
  elseif op == 'hp' then
    return history(key, member, value)
  elseif op == 'pw' then
    return period(key, member, value)
  elseif op == 'ir' then
    return instance(key, member, value)
  else
    local vf = vop[op]
    if vf then return vf(key, member, value) end
    return 'statsctl apply: unknown op ' .. tostring(op)
  end
  local r
  if lastw and noRead then
    if op == 'ha' then
      r = rpcall('HINCRBY', key, member, value)
    elseif op == 'hs' then
      r = rpcall('HSET', key, member, value)
    elseif op == 'zs' then
      r = rpcall('ZADD', key, value, member)
    end
    if r ~= nil then
      if type(r) == 'table' and r.err then return r.err end
      return nil
    end
  end
  local prev
  if z then prev = rpcall('ZSCORE', key, member) else prev = rpcall('HGET', key, member) end
  if type(prev) == 'table' and prev.err then return prev.err end
  if op == 'ha' then
    r = rpcall('HINCRBY', key, member, value)
  elseif op == 'za' then
    r = rpcall('ZINCRBY', key, value, member)
  elseif op == 'zs' then
    r = rpcall('ZADD', key, value, member)
  else
    r = rpcall('HSET', key, member, value)
  end
  if type(r) == 'table' and r.err then return r.err end
  nlog = nlog + 1
  lz[nlog], lk[nlog], lm[nlog], lp[nlog] = z, key, member, prev
  if op == 'ha' then
    -- redis-server refuses an int64 overflow itself; miniredis wraps
    -- around. Same signs in, another sign out is exactly an overflow.
    if wraps then
      local a, b, c = tonumber(prev or '0'), tonumber(value), tonumber(r)
      if (a >= 0 and b > 0 and c < 0) or (a < 0 and b < 0 and c >= 0) then
        return 'ERR increment or decrement would overflow'
      end
    end
  elseif op == 'za' then
    local s = tonumber(r)
    if s == nil or s ~= s or s == math.huge or s == -math.huge then
      return 'ERR score overflow: ZINCRBY ' .. value .. ' would make the score ' .. tostring(r)
    end
  end
  return nil
end
-- H[s] is an event header "<markerKeyIndex>:<nChanges>", "!" after it when
-- the event is strict, as {markerKeyIndex, nChanges, strict}; C[s] is a
-- change's op and key "<op><keyIndex>" (every op is two letters) as {op,
-- key, keyIndex}. Each is decoded once per distinct string of a run: a
-- batch has a handful of headers and one op-and-key per player and op,
-- and one argument fewer per change (two per event) is the saving: each
-- argument costs Redis about 1,200 instructions between the request and
-- the Lua string (callgrind, issue 15).
local H = setmetatable({}, {__index = function(t, s)
  local mk, nc, st = string.match(s, '^(%d+):(%d+)(!?)$')
  if not mk then error('statsctl apply: bad event header ' .. tostring(s)) end
  local v = {tonumber(mk), tonumber(nc), st == '!'}
  t[s] = v
  return v
end})
local C = setmetatable({}, {__index = function(t, s)
  local ki = tonumber(string.sub(s, 3))
  local v
  if ki and KEYS[ki] then
    v = {string.sub(s, 1, 2), KEYS[ki], ki}
  else
    -- Not an op write() knows: it rejects the event, whole, as it does
    -- an unknown op (the headers were all read before the first write,
    -- so only a change can be found bad midway).
    v = {'?' .. tostring(s), false, 0}
  end
  t[s] = v
  return v
end})
-- Markers are read before the first write, one HMGET per marker key, and
-- written after the last event, one HSET per key: the script
-- is atomic, so no one can tell this from checking and marking each event
-- in turn, and a batch pays 2 commands for its markers instead of 2 an
-- event. seen[mk] is the key's set of marked ids; seenErr[mk] is Redis's
-- error reading it (a key of the wrong type: its events are rejected), a
-- table apart so the loop below tells the two apart without a call to
-- type(); marks[mk] lists the ids to mark, in order, each followed by
-- '1', the field's value: the HSET's arguments as they will be sent.
local seen, seenErr, marks = {}, {}, {}
do
  local want, j, anyStrict = {}, i, ns > 0
  while j <= n do
    local h = H[ARGV[j]]
    local mk = h[1]
    if mk > 0 then
      want[mk] = want[mk] or {}
      local w = want[mk]
      w[#w + 1] = ARGV[j + 1]
    end
    if h[3] then anyStrict = true end
    j = j + 2 + 3 * h[2]
  end
  noRead = not anyStrict and not wraps
  for mk, ids in pairs(want) do
    local s = {}
    for a = 1, #ids, 1000 do
      local r = rpcall('HMGET', KEYS[mk], unpack(ids, a, math.min(a + 999, #ids)))
      if failed(r) then
        seenErr[mk] = r.err
        break
      end
      for b = 1, #r do
        if r[b] then s[ids[a + b - 1]] = true end
      end
    end
    seen[mk] = s
  end
end
local function markApplied(mk, id)
  seen[mk][id] = true
  local m = marks[mk]
  if not m then
    m = {}
    marks[mk] = m
    touched[mk] = true
  end
  local k = #m
  m[k + 1], m[k + 2] = id, '1'
end
while i <= n do
  local h = H[ARGV[i]]
  local mk, strict = h[1], h[3]
  local id = ARGV[i + 1]
  i = i + 2
  local last = i + 3 * h[2]
  ord = ord + 1
  local bad, badKey
  local fresh = true
  if mk > 0 then
    if seenErr[mk] then
      bad, badKey = seenErr[mk], mk
    elseif seen[mk][id] then
      fresh = false
    end
  end
  if fresh and not bad then
    -- Without strict events (noRead) no undo reaches back past the
    -- event in hand (see "The last write" above: a run's failed marker
    -- write, the one undo(0) left, cannot happen after a write succeeded),
    -- so the log restarts with each event and stays a few entries long.
    if noRead then nlog = 0 end
    local mark = nlog
    if pend[1] then pend = {} end
    while i < last do
      local c = C[ARGV[i]]
      local op = c[1]
      local e
      if noRead and i + 3 == last and op == 'ha' and ARGV[i + 2] ~= '0' then
        -- write()'s last-write path for the commonest change of all (a
        -- counter that most events of a realistic stream bump), inline:
        -- a Lua call per event is a measurable part of a run (issue 15).
        local r = rpcall('HINCRBY', c[2], ARGV[i + 1], ARGV[i + 2])
        if type(r) == 'table' and r.err then e = r.err end
      else
        e = write(op, c[2], ARGV[i + 1], ARGV[i + 2], i + 3 == last)
      end
      if e then
        bad, badKey = e, c[3]
        break
      end
      i = i + 3
    end
    if bad then
      if strict then
        undo(0)
        return {-2, ord, badKey, bad}
      end
      undo(mark)
      if mk > 0 and string.sub(bad, 1, 12) == 'OUT_OF_RANGE' then
        -- A value refused against the stored state (exact range,
        -- max_change, a distinct count's bound) is a verdict on this
        -- event: mark it, so a replay reports it a duplicate instead of
        -- judging it again against later state (issue 11).
        markApplied(mk, id)
      end
    else
      if mk > 0 then markApplied(mk, id) end
      applied = applied + 1
      if pend[1] then
        for _, p in ipairs(pend) do
          local cur = trims[p[1]]
          if not cur or p[2] > cur[1] then trims[p[1]] = {p[2], p[3], p[4], p[5], p[6]} end
        end
      end
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
-- Write the markers. Their keys read fine above, so only a server that
-- refuses writes could fail here: then the whole run is put back (markers
-- written so far included) and the batch fails, to be sent again.
do
  local done = {}
  for mk, m in pairs(marks) do
    for a = 1, #m, 2000 do
      local z = math.min(a + 1999, #m)
      local r = rpcall('HSET', KEYS[mk], unpack(m, a, z))
      if failed(r) then
        for _, d in ipairs(done) do
          local ids = {}
          for k = d[3], d[4], 2 do ids[#ids + 1] = d[2][k] end
          redis.call('HDEL', KEYS[d[1]], unpack(ids))
        end
        undo(0)
        return redis.error_reply('statsctl apply: marking applied events: ' .. r.err)
      end
      done[#done + 1] = {mk, m, a, z}
    end
  end
end
-- Trim periods past the archive, after every write that could be undone:
-- an event is never put back onto a deleted period.
for key, tr in pairs(trims) do
  local old = redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. tr[1])
  for _, m in ipairs(old) do
    redis.call('DEL', tr[2] .. m .. tr[4], tr[3] .. m .. tr[4])
    -- A value board's tie-break and metadata keys (valuekeys.go) go with it.
    redis.call('DEL', tr[2] .. m .. ':tf' .. tr[4], tr[2] .. m .. ':tu' .. tr[4], tr[2] .. m .. ':md' .. tr[4])
    local id = string.match(m, '@([^~]+)')
    if id then redis.call('HDEL', tr[5], id) end
  end
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. tr[1]) end
end
if ttl > 0 then
  for mk in pairs(touched) do rpcall('EXPIRE', KEYS[mk], ttl) end
end
local out = {applied, #dups}
for _, d in ipairs(dups) do out[#out + 1] = d end
for _, r in ipairs(rejects) do out[#out + 1] = r end
return out
