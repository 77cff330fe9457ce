-- Ranks a list of players on one board at one moment, in one call whatever
-- the list's length (see ranked.go). Ranks follow the board's spec as
-- read.lua's do.
-- KEYS[1] board; ARGV[1] order ('d' higher is better, 'a' lower is better),
-- ARGV[2] ties ('s' shared, 'f' first: KEYS[2] is the board's tie zset,
-- KEYS[3] its user -> member hash), then the user ids (distinct, checked by
-- the caller).
-- -> {total, then per id: score or false, n}: under shared ties n is the
--    number of players with a strictly better score (ties share a rank);
--    under ties: first n is the player's 0-based place in the tie zset's
--    read order (every rank distinct). Either way the global rank is n + 1.
--    A player on the board without a tie member (not yet stamped) is
--    absent, as for read.lua's rank.
local key, asc, first = KEYS[1], ARGV[1] == 'a', ARGV[2] == 'f'
local total
if first then total = redis.call('ZCARD', KEYS[2]) else total = redis.call('ZCARD', key) end
local out = {total}
for j = 3, #ARGV do
  local s = redis.call('ZSCORE', key, ARGV[j])
  local n
  if s and first then
    local m = redis.call('HGET', KEYS[3], ARGV[j])
    if m then
      if asc then n = redis.call('ZRANK', KEYS[2], m) else n = redis.call('ZREVRANK', KEYS[2], m) end
    end
  elseif s then
    if asc then
      n = redis.call('ZCOUNT', key, '-inf', '(' .. s)
    else
      n = redis.call('ZCOUNT', key, '(' .. s, '+inf')
    end
  end
  if n then
    out[#out + 1] = s
    out[#out + 1] = n
  else
    out[#out + 1] = false
    out[#out + 1] = 0
  end
end
return out
