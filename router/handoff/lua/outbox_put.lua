-- An agent's line for the customer, accepted once. ARGV: keys, conversation_id, agent_id
-- (who must have the conversation; '' = no check), request id ('' = none), command JSON.
-- Returns {'ok', stream id}, {'duplicate', ''} or {'error', code}.
local conversation_id, agent_id, request_id = ARGV[2], ARGV[3], ARGV[4]
if agent_id ~= '' then
  local owner = redis.call('GET', key('owner', conversation_id))
  if not owner then return {'error', 'not_handed_off'} end
  if owner ~= 'agent:' .. agent_id then return {'error', 'not_yours'} end
end
if request_id ~= '' then
  if not redis.call('SET', key('request', request_id), '1', 'NX', 'EX', 86400) then
    return {'duplicate', ''}
  end
end
return {'ok', to_outbox(ARGV[5], conversation_id)}
