-- Swaps a rebuilt board in atomically, every instance of it at once.
-- KEYS[1] the board's scratch registry, KEYS[2] its live registry (both in
-- the product's slot; an all-time unsplit board has neither);
-- ARGV[1] the product's board-key prefix ('<ns>:{<product>}:lb:'),
-- ARGV[2] its rating-state prefix ('...:rt:'), ARGV[3] the scratch suffix,
-- ARGV[4] the board's name (its unsplit all-time instance).
-- The instances are the board itself, every member of the scratch registry
-- and every member of the live registry, read here so that no instance the
-- live consumers opened before this script can be missed. For each, every
-- key of an instance (sorted set, rating state, and a value board's
-- tie-break set, tie hash and metadata, valuekeys.go): a scratch key that
-- exists replaces its live key (RENAME); one that does not means the
-- rebuilt instance has no such key, so the live key is deleted. A live
-- instance the rebuild did not produce therefore goes entirely, and the
-- scratch registry replaces the live one. The closed-periods hash is not
-- touched: a period closed live stays closed. Readers see the old board or
-- the new one, never a mix. Returns the number of instances looked at.
local lb, rt, sfx, board = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local insts, seen = {}, {}
local function add(m)
  if not seen[m] then
    seen[m] = true
    insts[#insts + 1] = m
  end
end
add(board)
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do add(m) end
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do add(m) end
local function swap(from, to)
  if redis.call('EXISTS', from) == 1 then
    redis.call('RENAME', from, to)
  else
    redis.call('DEL', to)
  end
end
for _, m in ipairs(insts) do
  swap(lb .. m .. sfx, lb .. m)
  swap(rt .. m .. sfx, rt .. m)
  swap(lb .. m .. ':tf' .. sfx, lb .. m .. ':tf')
  swap(lb .. m .. ':tu' .. sfx, lb .. m .. ':tu')
  swap(lb .. m .. ':md' .. sfx, lb .. m .. ':md')
end
swap(KEYS[1], KEYS[2])
return #insts
