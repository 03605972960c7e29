-- Heartbeat or presence change. ARGV: keys, agent_id, now, presence ('' = keep the current).
-- Online agents are offered conversations; away agents keep theirs but get no new ones.
local agent_id, now, presence = ARGV[2], tonumber(ARGV[3]), ARGV[4]
if presence == '' then
  presence = redis.call('HGET', key('agent', agent_id), 'presence') or 'offline'
  if presence == 'offline' then presence = 'online' end
end
redis.call('HSET', key('agent', agent_id), 'presence', presence, 'last_seen', now)
redis.call('ZADD', K.seen, now, agent_id)
if presence == 'online' then
  redis.call('ZADD', K.online, now, agent_id)
else
  redis.call('ZREM', K.online, agent_id)
end
announce('presence', '')
return presence
