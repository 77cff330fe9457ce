-- Reads run as scripts so a page and the rank of its first entry, or a score
-- and its rank, come from one consistent moment of the board.
-- page: KEYS[1] board, ARGV[1] 'page', ARGV[2] start, ARGV[3] stop (inclusive)
--   -> {rankOfFirst, total, start, member1, score1, member2, score2, ...}
-- rank: KEYS[1] board, ARGV[1] 'rank', ARGV[2] user
--   -> {} if absent, else {score, rank, total}
-- around: KEYS[1] board, ARGV[1] 'around', ARGV[2] user, ARGV[3] n
--   -> {} if absent, else like page
local key, what = KEYS[1], ARGV[1]
local function page(start, stop)
  local total = redis.call('ZCARD', key)
  local items = redis.call('ZREVRANGE', key, start, stop, 'WITHSCORES')
  local first = start + 1
  if #items > 0 and start > 0 then
    first = redis.call('ZCOUNT', key, '(' .. items[2], '+inf') + 1
  end
  local out = {first, total, start}
  for j = 1, #items do out[#out + 1] = items[j] end
  return out
end
if what == 'page' then
  return page(tonumber(ARGV[2]), tonumber(ARGV[3]))
elseif what == 'rank' then
  local s = redis.call('ZSCORE', key, ARGV[2])
  if not s then return {} end
  return {s, redis.call('ZCOUNT', key, '(' .. s, '+inf') + 1, redis.call('ZCARD', key)}
elseif what == 'around' then
  local r = redis.call('ZREVRANK', key, ARGV[2])
  if not r then return {} end
  local n = tonumber(ARGV[3])
  local start = r - n
  if start < 0 then start = 0 end
  return page(start, r + n)
end
return redis.error_reply('statsctl read: unknown query ' .. tostring(what))
