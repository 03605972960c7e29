-- ARGV: keys, conversation_id, packet JSON, score, enqueued_at, team ('' = anyone),
--       customer_priority, frustration. Returns the 1-based position, or -1 when a person
--       already has the conversation.
local conversation_id = ARGV[2]
if owner_agent(conversation_id) then return -1 end
redis.call('SET', key('packet', conversation_id), ARGV[3])
redis.call('SET', key('owner', conversation_id), 'queue')
-- A feed left to expire after an earlier handoff lives again while a person may have it.
redis.call('PERSIST', key('feed', conversation_id))
redis.call('DEL', key('state', conversation_id))
-- Where this handoff's lines start in the feed (history keeps them from there: release.lua).
local last_line = redis.call('XREVRANGE', key('feed', conversation_id), '+', '-', 'COUNT', 1)
redis.call('HSET', key('state', conversation_id), 'enqueued_at', ARGV[5], 'team', ARGV[6],
           'customer_priority', ARGV[7], 'frustration', ARGV[8], 'agent_id', '',
           'feed_from', last_line[1] and last_line[1][1] or '')
-- A head start (frustration, priority) may pass others, but never the customer told they are
-- next: that promise stays true. (Others keep the place they were told: see positions_to_tell.)
-- The first in line moves just ahead of the newcomer instead, so newcomers keep their order.
local score = tonumber(ARGV[4])
local first = redis.call('ZRANGE', K.queue, 0, 0, 'WITHSCORES')
if first[1] and first[1] ~= conversation_id and redis.call('HGET', K.told, first[1]) == '1'
    and score <= tonumber(first[2]) then
  redis.call('ZADD', K.queue, score - 0.001, first[1])
end
redis.call('ZADD', K.queue, score, conversation_id)
local position = redis.call('ZRANK', K.queue, conversation_id) + 1
redis.call('HSET', K.told, conversation_id, position)
announce('enqueued', conversation_id)
return position
