-- Ranks a list of players on one board at one moment, in one call whatever
-- the list's length (see ranked.go).
-- KEYS[1] board; ARGV: the user ids (distinct, checked by the caller).
-- -> {total, then per id: score or false, nBetter}: nBetter is the number of
--    players with a strictly better score, so the global rank is nBetter + 1
--    and ties share a rank as in read.lua.
local key = KEYS[1]
local out = {redis.call('ZCARD', key)}
for j = 1, #ARGV do
  local s = redis.call('ZSCORE', key, ARGV[j])
  if s then
    out[#out + 1] = s
    out[#out + 1] = redis.call('ZCOUNT', key, '(' .. s, '+inf')
  else
    out[#out + 1] = false
    out[#out + 1] = 0
  end
end
return out
