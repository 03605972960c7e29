-- To another agent (who must be online with room) or to a team's queue (at the front).
-- ARGV: keys, conversation_id, from agent_id ('' = whoever has it: an admin), to agent_id or '',
--       to team or '', now, heartbeat timeout, outbox command telling the customer when it
--       goes to an agent (JSON, optional). Returns {'ok', new owner} or {'error', code}.
local conversation_id, from, to_agent, to_team = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, timeout = tonumber(ARGV[6]), tonumber(ARGV[7])
local owner = redis.call('GET', key('owner', conversation_id))
if not owner then return {'error', 'not_handed_off'} end
local previous = owner_agent(conversation_id) or ''
if from ~= '' and previous ~= from then return {'error', 'not_yours'} end
if to_agent ~= '' then
  if to_agent == previous then return {'error', 'same_agent'} end
  if not is_online(to_agent, now, timeout) then return {'error', 'target_not_online'} end
  if not has_room(to_agent) then return {'error', 'target_at_capacity'} end
end
if previous ~= '' then
  redis.call('SREM', key('agent_conversations', previous), conversation_id)
end
if to_agent ~= '' then
  redis.call('ZREM', K.queue, conversation_id)
  redis.call('HDEL', K.told, conversation_id)
  redis.call('SET', key('owner', conversation_id), 'agent:' .. to_agent)
  redis.call('SADD', key('agent_conversations', to_agent), conversation_id)
  redis.call('HSET', key('state', conversation_id), 'agent_id', to_agent, 'transferred_at', now)
  if not redis.call('HGET', key('state', conversation_id), 'claimed_at') then
    redis.call('HSET', key('state', conversation_id), 'claimed_at', now)
  end
  to_outbox(ARGV[8], conversation_id)
  announce('transferred', conversation_id)
  return {'ok', 'agent:' .. to_agent}
end
return_to_queue(conversation_id, now, to_team)
announce('transferred', conversation_id)
return {'ok', 'queue'}
