-- Swaps rebuilt boards in atomically. KEYS come in pairs: scratch key, live
-- key (a board's sorted set, its rating-state hash), all in one product's
-- slot. A scratch key that exists replaces its live key (RENAME); one that
-- does not means the rebuilt board is empty, so the live key is deleted.
-- Readers see the old board or the new one, never a mix.
for j = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[j]) == 1 then
    redis.call('RENAME', KEYS[j], KEYS[j + 1])
  else
    redis.call('DEL', KEYS[j + 1])
  end
end
return #KEYS / 2
