-- Resolve or hand back: the bot has the conversation again. The command that resumes the bot
-- goes into the relay outbox in the same step, so it happens even if this process dies next.
-- The handoff is kept as a case for history in the same step (router/history.py).
-- ARGV: keys, conversation_id, agent_id ('' = whoever has it: an admin), now, outcome,
--       outbox fields as a JSON object, '1' to let go only if it is still waiting (nobody took
--       it meanwhile), seconds history is kept, the most lines a case keeps.
--       Returns {'ok', previous agent or '', case number} or {'error', code}.

-- The story as it ended: the packet, how it went, and the lines since the handoff.
local function keep_case(conversation_id, state, previous, now, keep_seconds, max_lines)
  local case_id = redis.call('INCR', K.history_next)
  local case = key('history_case', case_id)
  local feed_from = redis.call('HGET', state, 'feed_from') or ''
  local lines = redis.call('XRANGE', key('feed', conversation_id),
                           feed_from == '' and '-' or '(' .. feed_from, '+', 'COUNT', max_lines)
  local how_it_went = redis.call('HGETALL', state)
  if #how_it_went > 0 then redis.call('HSET', case, unpack(how_it_went)) end
  redis.call('HSET', case, 'case_id', case_id, 'conversation_id', conversation_id,
             'agent_id', previous, 'packet', redis.call('GET', key('packet', conversation_id)) or '{}',
             'lines', cjson.encode(lines))
  redis.call('EXPIRE', case, keep_seconds)
  -- Cases older than history is kept have expired: their numbers go from the indexes too.
  redis.call('ZREMRANGEBYSCORE', K.history, '-inf', now - keep_seconds)
  redis.call('ZADD', K.history, now, case_id)
  redis.call('ZREMRANGEBYSCORE', key('history_of_conversation', conversation_id), '-inf',
             now - keep_seconds)
  redis.call('ZADD', key('history_of_conversation', conversation_id), now, case_id)
  redis.call('EXPIRE', key('history_of_conversation', conversation_id), keep_seconds)
  redis.call('SADD', K.history_unindexed, case_id)
  return case_id
end
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
local state = key('state', conversation_id)
redis.call('HSET', state, 'outcome', outcome, 'ended_at', now)
local case_id = keep_case(conversation_id, state, previous, now, tonumber(ARGV[8]), ARGV[9])
redis.call('EXPIRE', state, 604800)
redis.call('EXPIRE', key('packet', conversation_id), 604800)
redis.call('EXPIRE', key('feed', conversation_id), 604800)
to_outbox(ARGV[6], conversation_id)
announce(outcome, conversation_id)
return {'ok', previous, case_id}
