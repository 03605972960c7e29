-- The right password: this address starts afresh and is remembered as the account's own,
-- and the attempt just counted against the account is taken back (it was no guess).
-- ARGV: keys, the account's counter for this address, its counter for every address, the
-- set of its known addresses, this address, how long an address stays known (seconds).
local pair, account, known, address = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
redis.call('DEL', pair)
if tonumber(redis.call('GET', account) or '0') > 0 then redis.call('DECR', account) end
redis.call('SADD', known, address)
redis.call('EXPIRE', known, tonumber(ARGV[6]))
return 1
