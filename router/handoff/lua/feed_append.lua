-- A line of a conversation for the agents' console, kept only while a person has (or is about
-- to have) the conversation. ARGV: keys, conversation_id, line fields as a JSON object, the
-- most lines the feed keeps. Returns the stream id, or false when the bot has the conversation.
-- A customer line is also counted in the conversation's state (the console's unread marks)
-- and announced to the agent who has it, on their own channel: the queue's channel would wake
-- the housekeeping and every other agent's console for nothing.
local conversation_id, line = ARGV[2], cjson.decode(ARGV[3])
if redis.call('EXISTS', key('owner', conversation_id)) == 0 then return false end
local id = redis.call('XADD', key('feed', conversation_id), 'MAXLEN', '~', tonumber(ARGV[4]),
                      '*', unpack(flat(line)))
if line['from'] == 'customer' then
  local state = key('state', conversation_id)
  redis.call('HINCRBY', state, 'customer_lines', 1)
  local at = line.timestamp and tostring(line.timestamp) or ''
  redis.call('HSET', state, 'last_customer_line_id', id, 'last_customer_line_at', at)
  local agent_id = owner_agent(conversation_id)
  if agent_id then redis.call('PUBLISH', key('agent_customer_lines', agent_id), conversation_id) end
end
return id
