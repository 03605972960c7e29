-- A sign-in attempt, counted BEFORE its password is checked, so a hundred guesses at once
-- cannot all be checked while the count still reads low. ARGV: keys, the account's counter
-- for this address, its counter for every address, the set of its per-address counters,
-- limit per address, limit per account, lock seconds (router/agents/lockout.py), the set of
-- addresses the account signed in from lately, this address.
-- Returns 0 when the password may be checked, else the seconds until the lock lifts.
local pair, account, pair_keys = ARGV[2], ARGV[3], ARGV[4]
local per_address, per_account, lock_seconds = tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[7])
local known, address = ARGV[8], ARGV[9]
local function seconds_locked(counter, limit)
  if tonumber(redis.call('GET', counter) or '0') < limit then return 0 end
  return math.max(redis.call('TTL', counter), 1)
end
local locked = seconds_locked(pair, per_address)
-- The account-wide ceiling stops guessers spread over many addresses, but not the person
-- from where they usually sign in: nobody elsewhere can lock them out.
if redis.call('SISMEMBER', known, address) == 0 then
  locked = math.max(locked, seconds_locked(account, per_account))
end
if locked > 0 then return locked end
-- A refused attempt is not counted: the lock lasts lock_seconds after the last real guess.
for _, counter in ipairs({pair, account}) do
  redis.call('INCR', counter)
  redis.call('EXPIRE', counter, lock_seconds)
end
redis.call('SADD', pair_keys, pair)
redis.call('EXPIRE', pair_keys, lock_seconds)
return 0
