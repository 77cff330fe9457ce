-- Copies one invalid event to the dead-letter stream, once.
-- KEYS[1]: dead-letter stream; KEYS[2]: marker hash (same hash slot).
-- ARGV[1]: marker TTL in seconds (0 = no expiry); ARGV[2]: source entry id;
-- ARGV[3..]: field, value, ... of the dead letter.
-- Returns 1 when written, 0 when this source id was dead-lettered before
-- (a redelivery after a crash between this script and the XACK).
-- The marker is set after the XADD, so a failing XADD leaves no marker.
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return 0
end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
redis.call('HSET', KEYS[2], ARGV[2], 1)
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
