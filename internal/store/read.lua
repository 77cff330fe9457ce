-- Reads run as scripts so a page and the rank of its first entry, or a score
-- and its rank, come from one consistent moment of the board.
-- ARGV[1] query, ARGV[2] order ('d' higher is better, 'a' lower is better),
-- ARGV[3] ties ('s' shared, 'f' first: KEYS[2] is the board's tie zset,
-- KEYS[3] its user -> member hash; members carry a fixed-width prefix of
-- ARGV[4] bytes, stripped here), then the query's own arguments:
-- page: KEYS[1] board, ARGV[5] start, ARGV[6] stop (inclusive)
--   -> {rankOfFirst, total, start, member1, score1, member2, score2, ...}
-- rank: KEYS[1] board, ARGV[5] user
--   -> {} if absent, else {score, rank, total}
-- around: KEYS[1] board, ARGV[5] user, ARGV[6] n
--   -> {} if absent, else like page
-- periods: KEYS[1] a periodic board's instance registry, KEYS[2] its closed
--   hash, ARGV[5] user, ARGV[6] board, ARGV[7] segment ('' the unsplit
--   instance), ARGV[8] and ARGV[9] the prefix and suffix that make an
--   instance's board key, ARGV[10] at most that many periods (the board's
--   keep). Instance keys are built here from the registry, all in the
--   product's slot (as apply.lua's trim does).
--   -> {instance, start, closed (1/0), score ('' absent), rank (0 absent),
--      total, ...} one per period, newest first
local key, what = KEYS[1], ARGV[1]
local asc, first, width = ARGV[2] == 'a', ARGV[3] == 'f', tonumber(ARGV[4])
local ranked = key
if first then ranked = KEYS[2] end
local function range(start, stop)
  if asc then return redis.call('ZRANGE', ranked, start, stop, 'WITHSCORES') end
  return redis.call('ZREVRANGE', ranked, start, stop, 'WITHSCORES')
end
-- above counts the entries strictly better than score s.
local function above(s)
  if asc then return redis.call('ZCOUNT', key, '-inf', '(' .. s) end
  return redis.call('ZCOUNT', key, '(' .. s, '+inf')
end
local tieOf = KEYS[3]
-- position is the 0-based place of user in read order, or nil.
local function position(user)
  local m = user
  if first then
    m = redis.call('HGET', tieOf, user)
    if not m then return nil end
  end
  if asc then return redis.call('ZRANK', ranked, m) end
  return redis.call('ZREVRANK', ranked, m)
end
local function page(start, stop)
  local total = redis.call('ZCARD', ranked)
  local items = range(start, stop)
  local rank = start + 1
  if #items > 0 and start > 0 and not first then
    rank = above(items[2]) + 1
  end
  local out = {rank, total, start}
  for j = 1, #items do
    if first and j % 2 == 1 then
      out[#out + 1] = string.sub(items[j], width + 1)
    else
      out[#out + 1] = items[j]
    end
  end
  return out
end
if what == 'page' then
  return page(tonumber(ARGV[5]), tonumber(ARGV[6]))
elseif what == 'rank' then
  local s = redis.call('ZSCORE', key, ARGV[5])
  if not s then return {} end
  if first then
    local p = position(ARGV[5])
    if not p then return {} end
    return {s, p + 1, redis.call('ZCARD', ranked)}
  end
  return {s, above(s) + 1, redis.call('ZCARD', key)}
elseif what == 'around' then
  local r = position(ARGV[5])
  if not r then return {} end
  local n = tonumber(ARGV[6])
  local start = r - n
  if start < 0 then start = 0 end
  return page(start, r + n)
elseif what == 'periods' then
  local user, board, seg, pre, suf = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
  local n, out, hi = tonumber(ARGV[10]), {}, '+inf'
  -- one step per distinct start (period), newest first: bounded by keep
  -- whatever the number of segments
  while #out < 6 * n do
    local z = redis.call('ZREVRANGEBYSCORE', KEYS[1], hi, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #z == 0 then break end
    hi = '(' .. z[2]
    local per = string.match(z[1], '@([^~]+)')
    if per then
      local inst = board .. '@' .. per
      if seg ~= '' then inst = inst .. '~' .. seg end
      key = pre .. inst .. suf
      ranked = key
      if first then ranked, tieOf = pre .. inst .. ':tf' .. suf, pre .. inst .. ':tu' .. suf end
      local s, r = redis.call('ZSCORE', key, user), 0
      if s and first then
        local p = position(user)
        if p then r = p + 1 else s = false end
      elseif s then
        r = above(s) + 1
      end
      out[#out + 1] = inst
      out[#out + 1] = z[2]
      out[#out + 1] = redis.call('HEXISTS', KEYS[2], per)
      out[#out + 1] = s or ''
      out[#out + 1] = r
      out[#out + 1] = redis.call('ZCARD', ranked)
    end
  end
  return out
end
return redis.error_reply('statsctl read: unknown query ' .. tostring(what))
