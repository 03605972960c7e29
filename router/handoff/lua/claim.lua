-- ARGV: keys, agent_id, conversation_id ('' = the next one this agent may take), now,
--       heartbeat timeout, outbox command telling the customer (JSON, optional). Returns {'ok', conversation_id} or {'error', code}.
local agent_id, wanted, now, timeout = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if not is_online(agent_id, now, timeout) then return {'error', 'not_online'} end
if not has_room(agent_id) then return {'error', 'at_capacity'} end
local teams = cjson.decode(redis.call('HGET', key('agent', agent_id), 'teams') or '[]')
local function may_take(conversation_id)
  local team = redis.call('HGET', key('state', conversation_id), 'team')
  if not team or team == '' or #teams == 0 then return true end
  for _, name in ipairs(teams) do if name == team then return true end end
  return false
end
local chosen = nil
if wanted ~= '' then
  if not redis.call('ZSCORE', K.queue, wanted) then return {'error', 'not_waiting'} end
  if not may_take(wanted) then return {'error', 'other_team'} end
  chosen = wanted
else
  for _, conversation_id in ipairs(redis.call('ZRANGE', K.queue, 0, 499)) do
    if may_take(conversation_id) then chosen = conversation_id; break end
  end
  if not chosen then return {'error', 'nothing_waiting'} end
end
redis.call('ZREM', K.queue, chosen)
redis.call('HDEL', K.told, chosen)
redis.call('SET', key('owner', chosen), 'agent:' .. agent_id)
redis.call('SADD', key('agent_conversations', agent_id), chosen)
redis.call('HSET', key('state', chosen), 'agent_id', agent_id, 'claimed_at', now)
-- The first claim stays: how long the customer waited for a person at all (a transfer or a
-- lost agent puts them back in line; claimed_at is then the latest claim).
redis.call('HSETNX', key('state', chosen), 'first_claimed_at', now)
to_outbox(ARGV[6], chosen)
announce('claimed', chosen)
return {'ok', chosen}
