-- Ranks a list of players on one board at one moment, in one call whatever
-- the list's length (see ranked.go).
-- KEYS[1] board; ARGV[1] order ('d' higher is better, 'a' lower is better),
-- then the user ids (distinct, checked by the caller).
-- -> {total, then per id: score or false, nBetter}: nBetter is the number of
--    players with a strictly better score, so the global rank is nBetter + 1
--    and ties share a rank as in read.lua.
local key, asc = KEYS[1], ARGV[1] == 'a'
local out = {redis.call('ZCARD', key)}
for j = 2, #ARGV do
  local s = redis.call('ZSCORE', key, ARGV[j])
  if s then
    out[#out + 1] = s
    if asc then
      out[#out + 1] = redis.call('ZCOUNT', key, '-inf', '(' .. s)
    else
      out[#out + 1] = redis.call('ZCOUNT', key, '(' .. s, '+inf')
    end
  else
    out[#out + 1] = false
    out[#out + 1] = 0
  end
end
return out
