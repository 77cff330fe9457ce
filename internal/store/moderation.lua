-- Moderation actions on ONE product, each atomic (one script on the
-- product's slot) and idempotent (running it again changes nothing more).
-- Every key is checked for its type before the first write, so an action
-- either runs whole or is refused with nothing changed (see moderation.go).
--
-- player: KEYS[1] the product's banned-players hash, then the keys to clear
--   the player from. ARGV[1] 'player', ARGV[2] user, ARGV[3] ban mode ('' |
--   'ban' | 'unban'), ARGV[4] ban record (for 'ban'), then one kind per
--   KEYS[2..]: 'z' ZREM user (a board), 'h' HDEL user (rating state and
--   other per-player hashes of a board), 't' ZREM the player's member of a
--   tie-break set (read from the TieOf hash, the next key), 'r' nothing (a
--   board's instance registry, listed for reset), 'd' DEL (the player's
--   stats hash), 'x' DEL (one of the player's history sorted sets).
--   -> {entries removed from boards, fields removed from hashes, stats keys
--      deleted, ban changed (1/0), history keys deleted}
-- reset: KEYS[1] the product's archive index, then pairs (live key, archive
--   key). ARGV[1] 'reset', ARGV[2] archive name, ARGV[3] index record, then
--   one kind per pair ('z' | 'h'). Each live key that exists is renamed to
--   its archive key; the index records the archive under its name.
--   The first pair is the board's main sorted set.
--   -> {players archived (of the first pair), 0} or {0, 1} when this archive was made already
--      and the board is still empty (a re-run).
local function kindOf(k)
  local t = redis.call('TYPE', k)
  if type(t) == 'table' then t = t.ok end
  return t
end
local function want(k, kinds)
  local t = kindOf(k)
  if t == 'none' then return end
  for _, w in ipairs(kinds) do if t == w then return end end
  error({err = 'statsctl admin: key ' .. k .. ' is a ' .. t .. ', not a ' .. kinds[1] ..
    '; fix or delete it, then run the action again (nothing was changed)'})
end
local function check(k, kind)
  if kind == 'z' or kind == 't' or kind == 'r' or kind == 'x' then want(k, {'zset'}) elseif kind == 'h' or kind == 'd' then want(k, {'hash'}) end
end
local action = ARGV[1]
local ok, res = pcall(function()
  if action == 'player' then
    local user, mode = ARGV[2], ARGV[3]
    want(KEYS[1], {'hash'})
    for j = 2, #KEYS do check(KEYS[j], ARGV[j + 3]) end
    local z, h, d, b, x = 0, 0, 0, 0, 0
    if mode == 'ban' then
      b = redis.call('HSETNX', KEYS[1], user, ARGV[4])
    elseif mode == 'unban' then
      b = redis.call('HDEL', KEYS[1], user)
    end
    for j = 2, #KEYS do
      local kind = ARGV[j + 3]
      if kind == 'z' then
        z = z + redis.call('ZREM', KEYS[j], user)
      elseif kind == 't' then
        -- the tie-break member is in the TieOf hash, the next key
        local m = redis.call('HGET', KEYS[j + 1], user)
        if m then redis.call('ZREM', KEYS[j], m) end
      elseif kind == 'h' then
        h = h + redis.call('HDEL', KEYS[j], user)
      elseif kind == 'd' then
        d = d + redis.call('DEL', KEYS[j])
      elseif kind == 'x' then
        x = x + redis.call('DEL', KEYS[j])
      end
    end
    return {z, h, d, b, x}
  elseif action == 'reset' then
    local name = ARGV[2]
    want(KEYS[1], {'hash'})
    local live = 0
    for j = 2, #KEYS, 2 do
      check(KEYS[j], ARGV[3 + j / 2])
      if kindOf(KEYS[j]) ~= 'none' then live = live + 1 end
    end
    if redis.call('HEXISTS', KEYS[1], name) == 1 then
      if live == 0 then return {0, 1} end
      error({err = 'statsctl admin: archive ' .. name .. ' exists already and the board has data again; ' ..
        'pick another --archive name (nothing was changed)'})
    end
    for j = 3, #KEYS, 2 do
      if kindOf(KEYS[j]) ~= 'none' then
        error({err = 'statsctl admin: archive key ' .. KEYS[j] .. ' exists already; ' ..
          'pick another --archive name (nothing was changed)'})
      end
    end
    local players = 0
    if ARGV[4] == 'z' then players = redis.call('ZCARD', KEYS[2]) end
    for j = 2, #KEYS, 2 do
      if kindOf(KEYS[j]) ~= 'none' then redis.call('RENAME', KEYS[j], KEYS[j + 1]) end
    end
    redis.call('HSET', KEYS[1], name, ARGV[3])
    return {players, 0}
  end
  error({err = 'statsctl admin: unknown action ' .. tostring(action)})
end)
if ok then return res end
if type(res) == 'table' and res.err then return redis.error_reply(res.err) end
return redis.error_reply(tostring(res))
