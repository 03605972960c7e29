-- An admin lifts every sign-in lock of an account. ARGV: keys, the account's counter for
-- every address, the set of its per-address counters.
local account, pair_keys = ARGV[2], ARGV[3]
for _, counter in ipairs(redis.call('SMEMBERS', pair_keys)) do redis.call('DEL', counter) end
redis.call('DEL', account, pair_keys)
return 1
