-- Standings of a period (statsctl standings, the close job).
-- freeze: KEYS[1] closed-periods hash, KEYS[2] the period's board key (in
--   the same slot; names it for the cluster); ARGV[1] 'freeze', ARGV[2]
--   period id. Marks the period closed (HSET, so the apply script refuses
--   its later events); the caller then reads the top n through read.lua,
--   ranked for the board's order and ties. Idempotent: once closed the
--   board no longer changes, so a second run reads the same standings.
-- publish: KEYS[1] outbound stream, KEYS[2] its published-marker hash (same
--   slot); ARGV[1] 'publish', ARGV[2] marker field, ARGV[3..] the entry's
--   field/value pairs. XADDs the entry and records its id under the field,
--   unless the field is there: {1, id} when added, {0, id} when it was
--   published before. One script, so with any number of closers and
--   through any crash each period is published exactly once.
if ARGV[1] == 'freeze' then
  redis.call('HSET', KEYS[1], ARGV[2], 1)
  return 1
elseif ARGV[1] == 'publish' then
  local had = redis.call('HGET', KEYS[2], ARGV[2])
  if had then return {0, had} end
  local fields = {}
  for j = 3, #ARGV do fields[#fields + 1] = ARGV[j] end
  local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
  redis.call('HSET', KEYS[2], ARGV[2], id)
  return {1, id}
end
return redis.error_reply('statsctl standings: unknown op ' .. tostring(ARGV[1]))
