-- Resolve or hand back: the bot has the conversation again. The command that resumes the bot
-- goes into the relay outbox in the same step, so it happens even if this process dies next.
-- ARGV: keys, conversation_id, agent_id ('' = whoever has it: an admin), now, outcome,
--       outbox fields as a JSON object, '1' to let go only if it is still waiting (nobody took
--       it meanwhile). Returns {'ok', previous agent or ''} or {'error', code}.
local conversation_id, agent_id, now, outcome = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local owner = redis.call('GET', key('owner', conversation_id))
if not owner then return {'error', 'not_handed_off'} end
if ARGV[7] == '1' and owner ~= 'queue' then return {'error', 'not_waiting'} end
local previous = owner_agent(conversation_id) or ''
if agent_id ~= '' and previous ~= agent_id then return {'error', 'not_yours'} end
if previous ~= '' then
  redis.call('SREM', key('agent_conversations', previous), conversation_id)
  local claimed_at = redis.call('HGET', key('state', conversation_id), 'claimed_at')
  if claimed_at then
    redis.call('LPUSH', K.handle_times, now - tonumber(claimed_at))
    redis.call('LTRIM', K.handle_times, 0, 49)
  end
end
redis.call('DEL', key('owner', conversation_id))
redis.call('ZREM', K.queue, conversation_id)
redis.call('HDEL', K.told, conversation_id)
redis.call('HSET', key('state', conversation_id), 'outcome', outcome, 'ended_at', now)
redis.call('EXPIRE', key('state', conversation_id), 604800)
redis.call('EXPIRE', key('packet', conversation_id), 604800)
to_outbox(ARGV[6], conversation_id)
announce(outcome, conversation_id)
return {'ok', previous}
