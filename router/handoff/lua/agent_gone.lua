-- An agent signed out, or their heartbeat stopped: their conversations go back to the front
-- of the queue. ARGV: keys, agent_id, now, stale_before ('' = regardless of the heartbeat).
-- Returns the conversation ids put back.
local agent_id, now, stale_before = ARGV[2], tonumber(ARGV[3]), ARGV[4]
if stale_before ~= '' then
  local seen = redis.call('ZSCORE', K.seen, agent_id)
  if seen and tonumber(seen) >= tonumber(stale_before) then return {} end
end
local returned = redis.call('SMEMBERS', key('agent_conversations', agent_id))
for _, conversation_id in ipairs(returned) do
  return_to_queue(conversation_id, now, nil)
  announce('returned', conversation_id)
end
redis.call('DEL', key('agent_conversations', agent_id))
redis.call('ZREM', K.seen, agent_id)
redis.call('ZREM', K.online, agent_id)
redis.call('HSET', key('agent', agent_id), 'presence', 'offline')
return returned
