-- The right password: this address starts afresh, and the attempt just counted against the
-- account is taken back (it was no guess). ARGV: keys, the account's counter for this
-- address, its counter for every address.
local pair, account = ARGV[2], ARGV[3]
redis.call('DEL', pair)
if tonumber(redis.call('GET', account) or '0') > 0 then redis.call('DECR', account) end
return 1
