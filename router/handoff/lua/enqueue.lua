-- ARGV: keys, conversation_id, packet JSON, score, enqueued_at, team ('' = anyone),
--       customer_priority, frustration. Returns the 1-based position, or -1 when a person
--       already has the conversation.
local conversation_id = ARGV[2]
if owner_agent(conversation_id) then return -1 end
redis.call('SET', key('packet', conversation_id), ARGV[3])
redis.call('SET', key('owner', conversation_id), 'queue')
redis.call('DEL', key('state', conversation_id))
redis.call('HSET', key('state', conversation_id), 'enqueued_at', ARGV[5], 'team', ARGV[6],
           'customer_priority', ARGV[7], 'frustration', ARGV[8], 'agent_id', '')
redis.call('ZADD', K.queue, tonumber(ARGV[4]), conversation_id)
local position = redis.call('ZRANK', K.queue, conversation_id) + 1
redis.call('HSET', K.told, conversation_id, position)
announce('enqueued', conversation_id)
return position
